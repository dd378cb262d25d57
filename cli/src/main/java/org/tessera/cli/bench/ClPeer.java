package org.tessera.cli.bench;

import static org.jocl.CL.*;

import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** A bare JOCL context and queue on the first OpenCL device (the one "opencl:0" names), for peers in benchmarks. */
public final class ClPeer implements AutoCloseable {
    public final cl_device_id device;
    public final cl_context context;
    public final cl_command_queue queue;

    public ClPeer() {
        CL.setExceptionsEnabled(true);
        int[] n = new int[1];
        clGetPlatformIDs(0, null, n);
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        cl_device_id[] devices = new cl_device_id[1];
        clGetDeviceIDs(platforms[0], CL_DEVICE_TYPE_ALL, 1, devices, null);
        device = devices[0];
        context = clCreateContext(null, 1, devices, null, null, null);
        queue = clCreateCommandQueue(context, device, 0, null);
    }

    @Override
    public void close() {
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
