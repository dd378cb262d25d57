package org.tessera.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** One OpenCL device as enumerated at start-up. */
record ClDevice(int index, cl_platform_id platform, cl_device_id id, String name, String platformName, boolean gpu,
                int computeUnits, long globalMemory, boolean fp64, String driverVersion, boolean correctlyRoundedDivideSqrt,
                Limits limits) {

    /** What a kernel's launch shape must stay within: CL_DEVICE_MAX_WORK_GROUP_SIZE, _MAX_WORK_ITEM_SIZES, _LOCAL_MEM_SIZE. */
    record Limits(long maxWorkGroupSize, long[] maxItemSizes, long localMemory) {}

    String describe() {
        return String.format("opencl:%d %s (%s, %s, %d compute units, %d MiB, fp64 %s)", index, name, platformName,
                gpu ? "GPU" : "non-GPU", computeUnits, globalMemory >> 20, fp64 ? "yes" : "no");
    }
}
