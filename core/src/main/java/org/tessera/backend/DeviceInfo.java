package org.tessera.backend;

/**
 * What a device is, as a table row: its type ("CPU", "GPU", "OpenCL CPU", ...), parallel units (threads or
 * compute units), memory in bytes (the heap for the CPU backend, global memory for OpenCL) and fp64 support.
 */
public record DeviceInfo(String type, int computeUnits, long memoryBytes, boolean fp64) {}
