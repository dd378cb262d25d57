package org.tessera.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Loads JOCL and enumerates every device of every platform, once. When the OpenCL library or a platform is
 * missing, {@link #unavailableReason()} says which and what provides it; nothing falls back silently.
 */
final class OpenClRuntime {
    private static final Object LOCK = new Object();
    private static List<ClDevice> devices;
    private static String unavailable;

    private OpenClRuntime() {}

    static List<ClDevice> devices() {
        init();
        return devices;
    }

    static String unavailableReason() {
        init();
        return unavailable;
    }

    private static void init() {
        synchronized (LOCK) {
            if (devices != null || unavailable != null) return;
            try {
                CL.setExceptionsEnabled(true);
                devices = enumerate();
                if (devices.isEmpty()) unavailable = "the OpenCL runtime reports no device (install an ICD, e.g. Debian's pocl-opencl-icd)";
            } catch (UnsatisfiedLinkError e) {
                unavailable = "the OpenCL library could not be loaded (" + e.getMessage() + "); JOCL needs the unversioned "
                        + "libOpenCL.so: on Debian/Ubuntu install ocl-icd-libopencl1 and ocl-icd-opencl-dev, plus a driver "
                        + "(pocl-opencl-icd for CPUs)";
                devices = List.of();
            } catch (RuntimeException | LinkageError e) {
                unavailable = "OpenCL platforms could not be listed: " + e;
                devices = List.of();
            }
        }
    }

    private static List<ClDevice> enumerate() {
        int[] count = new int[1];
        try {
            clGetPlatformIDs(0, null, count);
        } catch (org.jocl.CLException e) {
            if (e.getStatus() == -1001) return List.of();   // CL_PLATFORM_NOT_FOUND_KHR: ICD loader, no driver
            throw e;
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        clGetPlatformIDs(count[0], platforms, null);
        List<ClDevice> out = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            int[] n = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (org.jocl.CLException e) {
                continue;   // CL_DEVICE_NOT_FOUND on this platform
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n[0], ids, null);
            String platformName = string(p);
            for (cl_device_id id : ids) {
                long type = longInfo(id, CL_DEVICE_TYPE);
                String ext = string(id, CL_DEVICE_EXTENSIONS);
                out.add(new ClDevice(out.size(), p, id, string(id, CL_DEVICE_NAME), platformName, (type & CL_DEVICE_TYPE_GPU) != 0,
                        (int) intInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS), longInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE),
                        ext.contains("cl_khr_fp64"), string(id, CL_DRIVER_VERSION),
                        (longInfo(id, CL_DEVICE_SINGLE_FP_CONFIG) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0, limits(id)));
            }
        }
        return out;
    }

    private static ClDevice.Limits limits(cl_device_id id) {
        long[] group = new long[1];
        clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(group), null);
        long[] items = new long[3];
        clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_ITEM_SIZES, 3L * Sizeof.size_t, Pointer.to(items), null);
        return new ClDevice.Limits(group[0], items, longInfo(id, CL_DEVICE_LOCAL_MEM_SIZE));
    }

    static String string(cl_device_id id, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(id, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetDeviceInfo(id, param, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1)).trim();
    }

    private static String string(cl_platform_id p) {
        long[] size = new long[1];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1)).trim();
    }

    static long longInfo(cl_device_id id, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(id, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    static long intInfo(cl_device_id id, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(id, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0] & 0xFFFFFFFFL;
    }
}
