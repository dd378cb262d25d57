package org.tessera.bench.suite;

import static org.jocl.CL.*;

import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * A bare JOCL context and queue on OpenCL device {@code index}, counted as Tessera counts "opencl:N" (every platform
 * in order, all device types, platforms without devices skipped), for peers in benchmarks.
 */
public final class ClPeer implements AutoCloseable {
    public final cl_device_id device;
    public final cl_context context;
    public final cl_command_queue queue;

    /** On "opencl:0". */
    public ClPeer() {
        this(0);
    }

    public ClPeer(int index) {
        CL.setExceptionsEnabled(true);
        device = find(index);
        context = clCreateContext(null, 1, new cl_device_id[] {device}, null, null, null);
        queue = clCreateCommandQueue(context, device, 0, null);
    }

    private static cl_device_id find(int index) {
        int[] n = new int[1];
        clGetPlatformIDs(0, null, n);
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        int seen = 0;
        for (cl_platform_id p : platforms) {
            int[] count = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, count);
            } catch (org.jocl.CLException e) {
                continue;                        // CL_DEVICE_NOT_FOUND: as Tessera, this platform adds no devices
            }
            if (index < seen + count[0]) {
                cl_device_id[] ids = new cl_device_id[count[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, count[0], ids, null);
                return ids[index - seen];
            }
            seen += count[0];
        }
        throw new IllegalArgumentException("no OpenCL device opencl:" + index + " (" + seen + " devices)");
    }

    @Override
    public void close() {
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
