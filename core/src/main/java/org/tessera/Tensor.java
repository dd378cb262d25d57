package org.tessera;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.backend.Backend;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.Half;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.ReduceOp;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;
import org.tessera.graph.Engine;
import org.tessera.graph.GradMode;
import org.tessera.graph.GradValue;
import org.tessera.graph.HookHandle;
import org.tessera.graph.Node;

/**
 * An n-dimensional array on a {@link Device}, with reverse-mode automatic differentiation.
 *
 * <p>Every op follows the same path: check its arguments (shapes, dtypes, devices; a clear exception before
 * any work), allocate the output through the device's {@link Backend}, run the backend primitive, and, when
 * grad mode is on and an input requires grad, record a {@link Node} holding exactly what the backward needs.
 * The backward of each op sits right below its forward.
 *
 * <p>Views ({@link #reshape}, {@link #transpose}, {@link #narrow}, {@link #expand}, ...) share storage.
 * {@link #close()} frees device memory once every handle to it is closed; a {@link Cleaner} frees what
 * users forget. Tensors are not thread-safe; different tensors may be used from different threads.
 */
public final class Tensor implements AutoCloseable, GradValue<Tensor> {

    private static final Logger LOG = LoggerFactory.getLogger(Tensor.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final int TO_STRING_ELEMENTS = 6;

    private final Device device;
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    private final Cleaner.Cleanable cleanable;
    private final Release release;

    private boolean requiresGrad;
    private Node<Tensor> gradFn;
    /** A leaf's end of the graph (made on first use): where gradients recorded against it are accumulated. */
    private Node<Tensor> accumulator;
    private Tensor grad;
    /** Whether {@link #grad()} handed the current gradient out: then zeroGrad leaves it open and accumulation copies. */
    private boolean gradShared;
    /** Called after each backward's accumulation into {@link #grad} (null until one is registered). */
    private List<java.util.function.Consumer<Tensor>> postAccumulateHooks;
    private boolean closed;

    // ---- views and in-place history (see "In place" below) ----
    /** For a view made with grad mode on: the tensor it is a view of (never itself a view), else null. */
    private Tensor viewBase;
    /** Makes this view again from its base (or from any tensor of the base's shape): the view ops that made it. */
    private UnaryOperator<Tensor> viewReplay;
    /** The base's {@link #historyEpoch} when this view's history was last made; behind it, the history is remade. */
    private int baseEpoch;
    /** Counts the in-place ops that gave this tensor a new history; views of it compare it with their baseEpoch. */
    private int historyEpoch;
    /** A view made under noGrad: it has no history tied to its base, so a recorded in-place op on it is refused. */
    private boolean noGradView;
    /** The {@link Scope} that will close this tensor, if any (managed by Scope). */
    Scope scope;
    /** Bounds of an I32 tensor's values known without a device read, valid while the storage is at knownVersion (see Checks). */
    private int knownMin, knownMax, knownVersion = -1;

    private Tensor(Device device, Storage storage, int[] shape, int[] strides, int offset, boolean tracked) {
        this.device = device;
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.release = new Release(storage);
        this.cleanable = storage.backend.needsRelease() ? CLEANER.register(this, release) : null;
        if (tracked) Scope.track(this);
    }

    /** Releases one handle of a storage; run by close() or, if the user forgot, by the Cleaner. */
    private static final class Release implements Runnable {
        private final Storage storage;
        private volatile boolean explicit;

        Release(Storage storage) {
            this.storage = storage;
        }

        @Override
        public void run() {
            if (!explicit) LOG.debug("a tensor was not closed; its memory is freed by the garbage-collector safety net");
            storage.release();
        }
    }

    // =====================================================================================================
    // Creation
    // =====================================================================================================

    /** An uninitialised contiguous tensor (internal: every caller writes all elements). */
    static Tensor empty(Device device, DType dtype, int[] shape) {
        Backend be = device.implementation();
        int n = Shapes.numel(shape);
        Storage s = new Storage(be, be.allocate(dtype, n));
        return new Tensor(device, s, shape.clone(), Strided.contiguousStrides(shape), 0, true);
    }

    /**
     * {@code shape} as given; no shape at all means a 1-D tensor of the data's length, as {@code torch.tensor([...])}
     * (for a 0-dimensional tensor use {@link #scalar} or {@code reshape()}).
     */
    private static Tensor fromHost(Device device, DType dtype, Object data, int length, int[] shape) {
        if (shape.length == 0) shape = new int[] {length};
        int n = Shapes.numel(shape);
        if (length != n) {
            throw new IllegalArgumentException("Tensor.of: " + length + " values cannot fill shape "
                    + Shapes.str(shape) + " (" + n + " elements)");
        }
        Tensor t = empty(device, dtype, shape);
        device.implementation().write(t.storage.buffer, data);
        if (data instanceof int[] v && v.length > 0) t.knowRange(Arrays.stream(v).min().getAsInt(), Arrays.stream(v).max().getAsInt());
        return t;
    }

    /** {@code [min, max]} of this I32 tensor's values when known without reading the device, else null (see {@link Checks}). */
    int[] knownRange() {
        return knownVersion == storage.version() ? new int[] {knownMin, knownMax} : null;
    }

    /** Records bounds of this tensor's values, valid until its storage is written in place. */
    void knowRange(int min, int max) {
        knownMin = min;
        knownMax = max;
        knownVersion = storage.version();
    }

    /** Gives {@code out}, whose values are some of this tensor's (a view, a selection), this tensor's known bounds. */
    private Tensor withRangeOf(Tensor source) {
        int[] r = source.knownRange();
        if (r != null) knowRange(r[0], r[1]);
        return this;
    }

    public static Tensor of(float[] data, int... shape) { return of(Device.getDefault(), data, shape); }
    public static Tensor of(double[] data, int... shape) { return of(Device.getDefault(), data, shape); }
    public static Tensor of(int[] data, int... shape) { return of(Device.getDefault(), data, shape); }

    public static Tensor of(Device device, float[] data, int... shape) {
        return fromHost(device, DType.F32, data.clone(), data.length, shape);
    }

    public static Tensor of(Device device, double[] data, int... shape) {
        return fromHost(device, DType.F64, data.clone(), data.length, shape);
    }

    public static Tensor of(Device device, int[] data, int... shape) {
        return fromHost(device, DType.I32, data.clone(), data.length, shape);
    }

    /** A 0-dimensional F32 tensor. */
    public static Tensor scalar(double v) { return scalar(Device.getDefault(), v); }

    public static Tensor scalar(Device device, double v) { return full(device, DType.F32, v); }

    public static Tensor zeros(int... shape) { return full(Device.getDefault(), DType.F32, 0, shape); }
    public static Tensor zeros(Device device, int... shape) { return full(device, DType.F32, 0, shape); }
    public static Tensor zeros(DType dtype, int... shape) { return full(Device.getDefault(), dtype, 0, shape); }
    public static Tensor zeros(Device device, DType dtype, int... shape) { return full(device, dtype, 0, shape); }
    public static Tensor ones(int... shape) { return full(Device.getDefault(), DType.F32, 1, shape); }
    public static Tensor ones(Device device, int... shape) { return full(device, DType.F32, 1, shape); }
    public static Tensor ones(DType dtype, int... shape) { return full(Device.getDefault(), dtype, 1, shape); }
    public static Tensor ones(Device device, DType dtype, int... shape) { return full(device, dtype, 1, shape); }
    public static Tensor full(double v, int... shape) { return full(Device.getDefault(), DType.F32, v, shape); }
    public static Tensor full(Device device, double v, int... shape) { return full(device, DType.F32, v, shape); }

    public static Tensor full(Device device, DType dtype, double v, int... shape) {
        Tensor t = empty(device, dtype, shape);
        device.implementation().fill(t.strided(), v);
        return t;
    }

    /** 0, 1, ..., n-1 as I32 (integers, as {@code torch.arange}); see {@link #arange(int, DType)}. */
    public static Tensor arange(int n) { return arange(Device.getDefault(), n, DType.I32); }

    public static Tensor arange(int n, DType dtype) { return arange(Device.getDefault(), n, dtype); }

    public static Tensor arange(Device device, int n, DType dtype) {
        if (n < 0) throw new IllegalArgumentException("arange: n must be >= 0, got " + n);
        return switch (dtype) {
            case F32 -> { float[] v = new float[n]; for (int i = 0; i < n; i++) v[i] = i; yield fromHost(device, dtype, v, n, new int[] {n}); }
            case F64 -> { double[] v = new double[n]; for (int i = 0; i < n; i++) v[i] = i; yield fromHost(device, dtype, v, n, new int[] {n}); }
            case I32 -> { int[] v = new int[n]; for (int i = 0; i < n; i++) v[i] = i; yield fromHost(device, dtype, v, n, new int[] {n}); }
            case F16, BF16 -> {
                short[] v = new short[n];
                for (int i = 0; i < n; i++) v[i] = Half.bits(dtype, i);
                yield fromHost(device, dtype, v, n, new int[] {n});
            }
        };
    }

    /** Standard normal F32 numbers from {@code rng}; the same seed gives the same numbers on every device. */
    public static Tensor randn(Rng rng, int... shape) { return random(Device.getDefault(), DType.F32, Backend.RandomKind.NORMAL, rng, shape); }
    public static Tensor randn(Device device, Rng rng, int... shape) { return random(device, DType.F32, Backend.RandomKind.NORMAL, rng, shape); }
    public static Tensor randn(Device device, DType dtype, Rng rng, int... shape) { return random(device, dtype, Backend.RandomKind.NORMAL, rng, shape); }
    /** Uniform F32 numbers in [0, 1) from {@code rng}. */
    public static Tensor rand(Rng rng, int... shape) { return random(Device.getDefault(), DType.F32, Backend.RandomKind.UNIFORM, rng, shape); }
    public static Tensor rand(Device device, Rng rng, int... shape) { return random(device, DType.F32, Backend.RandomKind.UNIFORM, rng, shape); }
    public static Tensor rand(Device device, DType dtype, Rng rng, int... shape) { return random(device, dtype, Backend.RandomKind.UNIFORM, rng, shape); }

    private static Tensor random(Device device, DType dtype, Backend.RandomKind kind, Rng rng, int[] shape) {
        if (!dtype.isFloating()) throw new IllegalArgumentException("random numbers need F32 or F64, got " + dtype);
        int n = Shapes.numel(shape);
        Tensor t = empty(device, dtype, shape);
        device.implementation().random(t.strided(), kind, rng.seed(), rng.advance(n));
        return t;
    }

    /** Ones with the shape, dtype and device of {@code t} (e.g. the seed of a backward pass). */
    public static Tensor onesLike(Tensor t) {
        return full(t.device, t.dtype(), 1, t.shape);
    }

    public static Tensor zerosLike(Tensor t) {
        return full(t.device, t.dtype(), 0, t.shape);
    }

    // =====================================================================================================
    // Inspection and transfer
    // =====================================================================================================

    public int[] shape() { return shape.clone(); }
    public int shape(int dim) { return shape[Shapes.dim(dim, shape.length, "shape")]; }
    public int dim() { return shape.length; }
    public long numel() { return Shapes.numel(shape); }
    public DType dtype() { return storage.buffer.dtype(); }
    public Device device() { return device; }
    public int[] strides() { return strides.clone(); }
    public boolean isClosed() { return closed; }

    /** True when elements are dense in row-major order (views such as a transpose are not). */
    public boolean isContiguous() {
        return strided().isContiguous();
    }

    @Override
    public String dtypeName() {
        return dtype().name();
    }

    /** The number of in-place changes made to this tensor's storage (shared with its views). */
    public int version() {
        return storage.version();
    }

    /** This tensor as a backend operand (for op implementers). */
    public Strided strided() {
        checkOpen();
        return new Strided(storage.buffer, shape, strides, offset);
    }

    public float[] toFloatArray() { return (float[]) toHost(DType.F32); }

    /**
     * Copies this F32 tensor's elements (row-major) into {@code dst}, which must hold exactly {@link #numel()}: what
     * {@link #toFloatArray()} returns, into an array the caller reuses (a gradient exchange, every step).
     */
    public void copyTo(float[] dst) {
        checkOpen();
        checkHostArray("copyTo", dst);
        device.implementation().read(strided(), dst);
    }

    /**
     * Overwrites this F32 tensor with {@code src} (row-major, exactly {@link #numel()} values): {@link #of} into memory
     * that already exists. A plain write, as an optimiser's, not recorded by autograd: a leaf that requires grad is
     * written under {@code Autograd.noGrad()}, and the version counter moves, so a backward pass that saved this tensor
     * refuses the new values. The tensor must start its own contiguous memory (not a view into the middle of another).
     */
    public Tensor copyFrom(float[] src) {
        checkOpen();
        checkHostArray("copyFrom", src);
        checkWritable("copyFrom", false);
        if (!isContiguous() || offset != 0) {
            throw new IllegalArgumentException("copyFrom(float[]): the tensor " + Shapes.str(shape) + " is a strided or offset view; "
                    + "write a contiguous tensor that owns its memory (contiguous()), or use copyFrom(Tensor.of(...))");
        }
        device.implementation().write(storage.buffer, src);
        return bumped("copyFrom");
    }

    private void checkHostArray(String name, float[] host) {
        if (dtype() != DType.F32) throw new IllegalArgumentException(name + "(float[]): the tensor is " + dtype() + ", not F32");
        if (host == null || host.length != numel()) {
            throw new IllegalArgumentException(name + "(float[]): the tensor " + Shapes.str(shape) + " has " + numel() + " elements, the array "
                    + (host == null ? "is null" : host.length));
        }
    }
    public double[] toDoubleArray() { return (double[]) toHost(DType.F64); }
    public int[] toIntArray() { return (int[]) toHost(DType.I32); }

    /**
     * The bits of this F16 or BF16 tensor's elements (row-major), as they are stored: what PyTorch's
     * {@code t.view(torch.int16)} shows. For the values use {@link #toFloatArray()}, which converts exactly.
     */
    public short[] toHalfBits() {
        checkOpen();
        if (!dtype().isHalf()) throw new IllegalArgumentException("toHalfBits: the tensor is " + dtype() + ", not F16 or BF16");
        return (short[]) toHost(dtype());
    }

    /**
     * An F16 or BF16 tensor holding {@code bits} as they are (the inverse of {@link #toHalfBits()}; e.g. the bytes of a
     * safetensors file). To make one from values, convert: {@code Tensor.of(values).to(DType.BF16)}.
     */
    public static Tensor ofHalfBits(Device device, DType dtype, short[] bits, int... shape) {
        if (dtype == null || !dtype.isHalf()) throw new IllegalArgumentException("ofHalfBits: the dtype must be F16 or BF16, got " + dtype);
        return fromHost(device, dtype, bits.clone(), bits.length, shape);
    }

    private Object toHost(DType as) {
        checkOpen();
        Tensor src = this;
        if (as != dtype()) {            // a plain conversion: not an op (no graph, no anomaly check on a read)
            src = empty(device, as, shape);
            be().copy(strided(), src.strided());
        }
        int n = Shapes.numel(shape);
        Object host = switch (as) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case F16, BF16 -> new short[n];
        };
        device.implementation().read(src.strided(), host);
        if (src != this) src.close();
        return host;
    }

    /** The value of a one-element tensor. */
    public double item() {
        checkOpen();
        if (numel() != 1) {
            throw new IllegalStateException("item() needs a tensor with one element, this one has shape " + Shapes.str(shape));
        }
        return toDoubleArray()[0];
    }

    /** True when no element is NaN or infinite (always true for I32). */
    public boolean allFinite() {
        if (dtype() == DType.F32) {
            for (float v : toFloatArray()) if (!Float.isFinite(v)) return false;
        } else if (dtype() == DType.F64) {
            for (double v : toDoubleArray()) if (!Double.isFinite(v)) return false;
        } else if (dtype().isHalf()) {
            int exponent = dtype() == DType.F16 ? 0x7c00 : 0x7f80;    // all ones: infinity or NaN
            for (short b : toHalfBits()) if ((b & exponent) == exponent) return false;
        }
        return true;
    }

    /** A copy on another device; the same tensor when already there. Differentiable. */
    public Tensor to(Device target) {
        checkOpen();
        if (target == device) return this;
        Object host = switch (dtype()) {
            case F32 -> toFloatArray();
            case F64 -> toDoubleArray();
            case I32 -> toIntArray();
            case F16, BF16 -> toHalfBits();
        };
        Tensor out = empty(target, dtype(), shape);
        target.implementation().write(out.storage.buffer, host);
        Device from = device;
        return record("to", out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> new Tensor[] {g.to(from)});
    }

    /** A copy converted to another dtype; the same tensor when already of it. Differentiable between F32 and F64. */
    public Tensor to(DType target) {
        checkOpen();
        if (target == dtype()) return this;
        Tensor out = empty(device, target, shape);
        be().copy(strided(), out.strided());
        if (!target.isFloating()) return out;
        DType from = dtype();
        return record("to", out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> new Tensor[] {g.to(from)});
    }

    /** Frees this handle's device memory once all views of it are closed too. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        release.explicit = true;
        if (cleanable != null) cleanable.clean();
        else release.run();
    }

    @Override
    public String toString() {
        if (closed) return "Tensor" + Shapes.str(shape) + " " + dtype() + " " + device + " (closed)";
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ').append(dtype())
                .append(' ').append(device).append(" [");
        int n = Shapes.numel(shape);
        double[] v = n <= 4096 ? toDoubleArray() : narrowFlat(TO_STRING_ELEMENTS);
        for (int i = 0; i < Math.min(n, TO_STRING_ELEMENTS); i++) {
            if (i > 0) sb.append(", ");
            sb.append(dtype() == DType.I32 ? String.valueOf((int) v[i]) : String.format("%.4g", v[i]));
        }
        if (n > TO_STRING_ELEMENTS) sb.append(", ...");
        sb.append(']');
        if (gradFn() != null) sb.append(" grad_fn=").append(gradFn.op());
        else if (requiresGrad) sb.append(" requires_grad");
        return sb.toString();
    }

    private double[] narrowFlat(int k) {
        try (Tensor flat = detach().reshape(-1); Tensor head = flat.narrow(0, 0, k)) {
            return head.toDoubleArray();
        }
    }

    // =====================================================================================================
    // Autograd
    // =====================================================================================================

    /** Marks a leaf as a parameter whose gradient is accumulated into {@link #grad()}. Returns this. */
    public Tensor requiresGrad(boolean b) {
        checkOpen();
        if (!isLeaf()) {
            throw new IllegalStateException("requiresGrad can only be changed on a leaf tensor; this one was computed by '"
                    + gradFn.op() + "' (use detach() for a leaf copy of it)");
        }
        if (b && !dtype().isFloating()) {
            throw new IllegalArgumentException("only floating-point tensors can require gradients, this one is " + dtype());
        }
        requiresGrad = b;
        return this;
    }

    public boolean requiresGrad() {
        refreshView();
        return requiresGrad;
    }

    /** True for tensors not computed by a recorded op (user-created, or detached). */
    public boolean isLeaf() { return gradFn() == null; }

    /** The op that computed this tensor (null for a leaf). */
    public Node<Tensor> gradFn() {
        refreshView();
        return gradFn;
    }

    /**
     * The graph node a gradient of this tensor flows into: the op that computed it, or for a leaf that requires grad
     * its accumulator; null when it does not require grad. Ops record this node as their input's edge.
     */
    public Node<Tensor> gradientEdge() {
        refreshView();
        if (gradFn != null) return gradFn;
        if (!requiresGrad) return null;
        if (accumulator == null) accumulator = Node.accumulator(shape, this::accumulateGrad);
        return accumulator;
    }

    /**
     * The gradient accumulated into this leaf by backward passes, or null. The handle stays valid after
     * {@link #zeroGrad()} (as in PyTorch, where zeroing sets {@code .grad} to None), and a later backward then
     * accumulates into a new tensor rather than into this one.
     */
    public Tensor grad() {
        if (grad != null) gradShared = true;
        return grad;
    }

    /** Whether a gradient has been accumulated (without handing it out, as {@link #grad()} does). */
    public boolean hasGrad() {
        return grad != null;
    }

    /**
     * Sets the gradient to null. Its memory is freed at once unless {@link #grad()} handed it out since it was made;
     * then it stays valid for whoever holds it (closed by them, or by the garbage-collector safety net).
     */
    public void zeroGrad() {
        if (grad != null && !gradShared) grad.close();
        grad = null;
        gradShared = false;
    }

    /**
     * Makes {@code g} this leaf's gradient, as PyTorch's {@code p.grad = g}: the leaf takes the handle over (it leaves
     * any {@link Scope}; reach it through {@link #grad()} from now on), later backward passes add into it in place
     * (until {@link #grad()} hands it out, as for any gradient), and {@link #zeroGrad()} closes it. Null is
     * {@link #zeroGrad()}. The old gradient is released as zeroGrad releases it. Shape, dtype and device must be
     * this tensor's (checked before anything changes).
     */
    public void setGrad(Tensor g) {
        checkOpen();
        if (g == null) {
            zeroGrad();
            return;
        }
        g.checkOpen();
        if (!isLeaf()) throw new IllegalStateException("setGrad: only a leaf holds a gradient; this tensor was computed by '" + gradFn.op() + "'");
        if (!Arrays.equals(g.shape, shape) || g.dtype() != dtype() || g.device != device) {
            throw new IllegalArgumentException("setGrad: the gradient " + Shapes.str(g.shape) + " " + g.dtype() + " on " + g.device
                    + " does not match the tensor " + Shapes.str(shape) + " " + dtype() + " on " + device);
        }
        if (g == grad) return;
        if (g.requiresGrad() || !g.isLeaf()) g = g.detach();
        zeroGrad();
        grad = Scope.untrack(g);
        gradShared = false;
    }

    /**
     * Calls {@code hook} with this leaf each time a backward pass has finished accumulating into its {@link #grad()}
     * (PyTorch's {@code register_post_accumulate_grad_hook}): once per backward, after every path's gradient has been
     * summed, on the thread running that backward. Data-parallel training uses it to send a gradient while backward
     * goes on. Returns a handle whose {@code remove()} unregisters the hook.
     */
    public HookHandle registerPostAccumulateGradHook(java.util.function.Consumer<Tensor> hook) {
        checkOpen();
        if (hook == null) throw new IllegalArgumentException("registerPostAccumulateGradHook: the hook is null");
        if (!isLeaf()) {
            throw new IllegalStateException("registerPostAccumulateGradHook: only a leaf accumulates a gradient; this tensor was computed by '"
                    + gradFn.op() + "'");
        }
        if (postAccumulateHooks == null) postAccumulateHooks = new ArrayList<>();
        postAccumulateHooks.add(hook);
        List<java.util.function.Consumer<Tensor>> hooks = postAccumulateHooks;
        return () -> hooks.remove(hook);
    }

    /** Backpropagates from this one-element tensor; gradients accumulate into leaves. */
    public void backward() {
        backward(null, false);
    }

    /** Backpropagates the vector-Jacobian product with {@code gradient} (shape of this tensor). */
    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    public void backward(Tensor gradient, boolean retainGraph) {
        backward(gradient, retainGraph, false);
    }

    /**
     * {@link #backward(Tensor, boolean)} that, with {@code createGraph}, records the backward pass itself: the
     * gradients accumulated into leaves then have a history of their own and can be differentiated again (double
     * backward: Hessian-vector products, gradient penalties), as PyTorch's {@code create_graph=True}. Pass
     * {@code retainGraph} true too when the new graph will be differentiated through this one's nodes again.
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Checks.backwardRoot(this, gradient, "backward");
        Tensor seed = gradient != null ? gradient : onesLike(this);
        Engine.run(List.of(gradientEdge()), List.of(seed), retainGraph, createGraph, null);
        if (gradient == null) seed.close();
    }

    /**
     * Adds {@code g} into this leaf's gradient (this leaf's {@link Node.GradSink}). A first gradient that the engine
     * hands over ({@code mayAdopt}), dense, and seen by no other handle becomes the gradient itself (no copy: for an
     * MLP's weights this saved a full copy of every weight gradient per step); otherwise it is copied. A gradient
     * handed out by {@link #grad()} is not changed: the sum is a new tensor. Returns whether {@code g} was adopted.
     */
    private boolean accumulateGrad(Tensor g, boolean mayAdopt) {
        if (!requiresGrad) return false;     // turned off after the graph was recorded
        boolean adopted = addIntoGrad(g, mayAdopt);
        if (postAccumulateHooks != null) for (var hook : List.copyOf(postAccumulateHooks)) hook.accept(this);
        return adopted;
    }

    private boolean addIntoGrad(Tensor g, boolean mayAdopt) {
        if (GradMode.isEnabled() && g.requiresGrad()) {
            // a backward with createGraph: the gradient keeps its history, and a later one adds out of place
            // (PyTorch's AccumulateGrad under create_graph), so neither graph is cut
            Tensor old = grad;
            grad = Scope.untrack(old == null ? g.alias() : old.add(g));
            if (old != null && !gradShared) old.close();
            gradShared = false;
            return false;
        }
        try (var off = GradMode.enter(false)) {
            if (grad == null) {
                gradShared = false;
                if (mayAdopt && g.isContiguous() && g.storage.soleHandle() && Arrays.equals(g.shape, shape)) {
                    grad = Scope.untrack(g);
                    return true;
                }
                grad = Scope.untrack(g.contiguousCopy());
            } else if (gradShared) {
                grad = Scope.untrack(grad.add(g));
                gradShared = false;
            } else {
                grad.addi(g);
            }
            return false;
        }
    }

    /** A new handle on the same data with no history that does not require grad. */
    public Tensor detach() {
        checkOpen();
        return alias(shape, strides, offset, true);
    }

    // ---- recording ----

    private static final Tensor[] NONE = new Tensor[0];
    private static final String[] NO_ROLES = new String[0];

    /** Records the op that produced {@code out} when grad mode is on and an input requires grad; checks anomalies. */
    private static Tensor record(String op, Tensor out, Tensor[] inputs, Tensor[] saved, String[] roles, Node.Vjp<Tensor> vjp) {
        return record(op, out, inputs, saved, roles, vjp, true);
    }

    /**
     * {@link #record} of a gradient computed inside a backward pass ({@code isForward} false): anomaly mode checks it
     * where the engine receives it, naming the op whose backward made it, not here.
     */
    private static Tensor recordGradient(String op, Tensor out, Tensor[] inputs, Tensor[] saved, String[] roles, Node.Vjp<Tensor> vjp) {
        return record(op, out, inputs, saved, roles, vjp, false);
    }

    private static Tensor record(String op, Tensor out, Tensor[] inputs, Tensor[] saved, String[] roles, Node.Vjp<Tensor> vjp, boolean isForward) {
        boolean anomaly = GradMode.anomalyDetection();
        if (anomaly && isForward && !out.allFinite()) {
            throw new IllegalStateException("anomaly: op '" + op + "' produced NaN or Inf in its output of shape "
                    + Shapes.str(out.shape) + "; created at " + userFrame());
        }
        if (!GradMode.isEnabled()) return out;
        Node<Tensor>[] edges = edges(inputs.length);
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null && inputs[i].requiresGrad()) {
                edges[i] = inputs[i].gradientEdge();
                any = true;
            }
        }
        if (!any) return out;
        // each saved tensor is held with its history, as PyTorch's SavedVariable: a backward run with createGraph
        // records its formulas against them, so the gradient is itself differentiable (the saved output's history
        // is this very node)
        Tensor[] aliases = new Tensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            Tensor s = saved[i];
            aliases[i] = s == null ? null : s.alias(s.shape, s.strides, s.offset, false);
            if (s != null && s != out) aliases[i].takeHistoryOf(s);
        }
        out.gradFn = Node.op(op, out.shape, edges, aliases, roles, vjp, anomaly ? userFrame() : null);
        out.requiresGrad = true;
        for (int i = 0; i < saved.length; i++) if (saved[i] == out) aliases[i].takeHistoryOf(out);
        return out;
    }

    /** An array of {@code n} graph edges (Java cannot create a generic array directly). */
    @SuppressWarnings("unchecked")
    private static Node<Tensor>[] edges(int n) {
        return (Node<Tensor>[]) new Node<?>[n];
    }

    /** Gives this handle {@code t}'s place in the graph: its producing op, or for a leaf that requires grad its accumulator. */
    private void takeHistoryOf(Tensor t) {
        gradFn = t.gradFn();
        requiresGrad = t.requiresGrad();
        accumulator = gradFn == null && requiresGrad ? t.gradientEdge() : null;
    }

    /**
     * Another handle on this tensor's data with the same history: autograd treats it as this tensor (a gradient
     * flowing into it flows into this one's op or leaf). Each handle is closed on its own, as a view is.
     */
    public Tensor alias() {
        Tensor h = alias(shape, strides, offset, true);
        h.takeHistoryOf(this);
        return h;
    }

    /** The first stack frame outside Tessera's own packages: where user code called the op. */
    private static StackTraceElement userFrame() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().startsWith("org.tessera.") || f.getClassName().startsWith("org.tessera.tests"))
                .findFirst().map(StackWalker.StackFrame::toStackTraceElement).orElse(null));
    }

    // =====================================================================================================
    // Elementwise
    // =====================================================================================================

    public Tensor neg() { return unary(UnaryOp.NEG, 0, 0); }
    public Tensor exp() { return unary(UnaryOp.EXP, 0, 0); }
    public Tensor log() { return unary(UnaryOp.LOG, 0, 0); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT, 0, 0); }
    public Tensor abs() { return unary(UnaryOp.ABS, 0, 0); }
    public Tensor pow(double exponent) { return unary(UnaryOp.POW, exponent, 0); }
    public Tensor tanh() { return unary(UnaryOp.TANH, 0, 0); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID, 0, 0); }
    public Tensor relu() { return unary(UnaryOp.RELU, 0, 0); }
    public Tensor leakyRelu(double slope) { return unary(UnaryOp.LEAKY_RELU, slope, 0); }
    public Tensor elu(double alpha) { return unary(UnaryOp.ELU, alpha, 0); }
    public Tensor softplus() { return unary(UnaryOp.SOFTPLUS, 0, 0); }

    public Tensor clamp(double min, double max) {
        if (!(min <= max)) throw new IllegalArgumentException("clamp: min " + min + " must not exceed max " + max);
        return unary(UnaryOp.CLAMP, min, max);
    }

    public Tensor add(double v) { return unary(UnaryOp.ADD_SCALAR, v, 0); }
    /** {@code x + (-v)}, the same bits as {@code x - v}, recorded (and named in errors) as "sub". */
    public Tensor sub(double v) { return unary("sub", UnaryOp.ADD_SCALAR, -v, 0); }
    public Tensor mul(double v) { return unary(UnaryOp.MUL_SCALAR, v, 0); }
    public Tensor div(double v) { return unary(UnaryOp.DIV_SCALAR, v, 0); }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAXIMUM, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MINIMUM, o); }

    /**
     * Applies a row of the {@link UnaryOp} table; its backward is the row's own kernel. The constants {@code p} and
     * {@code q} take this tensor's dtype first (as PyTorch does with a Python float), so an F32 op computes with the
     * float nearest to them on every device and code path.
     */
    public Tensor unary(UnaryOp op, double p, double q) {
        return unary(op.opName(), op, p, q);
    }

    /** A row of the {@link UnaryOp} table recorded under {@code name} (an op that is another row with other parameters). */
    private Tensor unary(String name, UnaryOp op, double p, double q) {
        checkOpen();
        checkDTypeFor(name, op.integerAllowed());
        double pc = constant(p), qc = constant(q);
        return unaryOf(name, op, pc, qc);
    }

    private Tensor unaryOf(String name, UnaryOp op, double p, double q) {
        Tensor out = empty(device, dtype(), shape);
        be().unary(op, p, q, strided(), out.strided());
        Tensor saved = switch (op.saves()) {
            case X -> this;
            case Y -> out;
            case NONE -> null;
        };
        return record(name, out, new Tensor[] {this}, saved == null ? NONE : new Tensor[] {saved},
                new String[] {op.saves() == UnaryOp.Saves.Y ? "output" : "input"},
                (g, s, needs) -> new Tensor[] {unaryGrad(op, p, q, g, s.length == 0 ? null : s[0])});
    }

    /**
     * The gradient {@code dy · f'(s)} of a unary row by its fused backward kernel (s the saved x or y, null when the
     * row saves nothing). Under a backward with createGraph it is recorded as an op of its own: linear in dy, so its
     * gradient towards dy is this same kernel, and towards s the row's second derivative ({@link Curvature}).
     */
    static Tensor unaryGrad(UnaryOp op, double p, double q, Tensor dy, Tensor s) {
        Tensor dx = empty(dy.device, dy.dtype(), dy.shape);
        dy.be().unaryBackward(op, p, q, dy.strided(), s == null ? null : s.strided(), dx.strided());
        return recordGradient(op.opName() + "Backward", dx, new Tensor[] {dy, s}, new Tensor[] {dy, s}, GRAD_ROLES,
                (gg, sv, needs) -> new Tensor[] {
                        needs[0] ? unaryGrad(op, p, q, gg, sv[1]) : null,
                        needs[1] ? Curvature.unary(op, p, gg, sv[0], sv[1]) : null});
    }

    private static final String[] GRAD_ROLES = {"upstream gradient", "saved input 0", "saved input 1"};

    /** Applies a row of the {@link BinaryOp} table with broadcasting; the gradients are summed back to each input's shape. */
    public Tensor binary(BinaryOp op, Tensor o) {
        checkOpen();
        o.checkOpen();
        checkSameDevice(o, op.opName());
        checkSameDType(o, op.opName());
        checkDTypeFor(op.opName(), op.integerAllowed());
        int[] outShape = Shapes.broadcast(shape, o.shape, op.opName());
        Tensor out = empty(device, dtype(), outShape);
        be().binary(op, broadcastTo(outShape), o.broadcastTo(outShape), out.strided());
        int[] shapeA = shape, shapeB = o.shape;
        // keep only the operands that the gradients to be computed read (the table says which)
        boolean[] wanted = {requiresGrad(), o.requiresGrad()};
        boolean keepA = wanted[0] && op.reads(0, 0) || wanted[1] && op.reads(1, 0);
        boolean keepB = wanted[0] && op.reads(0, 1) || wanted[1] && op.reads(1, 1);
        return record(op.opName(), out, new Tensor[] {this, o},
                new Tensor[] {keepA ? this : null, keepB ? o : null}, new String[] {"input 0", "input 1"},
                (g, s, needs) -> {
                    Tensor[] grads = new Tensor[2];
                    int[][] inShapes = {shapeA, shapeB};
                    for (int i = 0; i < 2; i++) {
                        if (!needs[i]) continue;
                        Tensor full = binaryGrad(op, i, g, s[0], s[1]);
                        grads[i] = full.sumTo(inShapes[i]);
                        if (grads[i] != full) full.close();
                    }
                    return grads;
                });
    }

    /**
     * The gradient of operand {@code i} of a binary row in the broadcast shape of {@code dy}, by the row's fused
     * kernel ({@code a}, {@code b}: the saved operands, null where the formula does not read one). Recorded under a
     * backward with createGraph, as {@link #unaryGrad}: linear in dy; towards a and b the row's second derivatives.
     */
    private static Tensor binaryGrad(BinaryOp op, int i, Tensor dy, Tensor a, Tensor b) {
        Tensor full = empty(dy.device, dy.dtype(), dy.shape);
        dy.be().binaryBackward(op, i, dy.strided(), a == null ? null : a.broadcastTo(dy.shape),
                b == null ? null : b.broadcastTo(dy.shape), full.strided());
        return recordGradient(op.opName() + "Backward", full, new Tensor[] {dy, a, b}, new Tensor[] {dy, a, b}, GRAD_ROLES,
                (gg, sv, needs) -> {
                    Tensor[] grads = new Tensor[3];
                    if (needs[0]) grads[0] = binaryGrad(op, i, gg, sv[1], sv[2]);
                    for (int wrt = 0; wrt < 2; wrt++) {
                        if (!needs[wrt + 1]) continue;
                        Tensor full2 = Curvature.binary(op, i, wrt, gg, sv[0], sv[1], sv[2]);
                        grads[wrt + 1] = full2 == null ? null : full2.sumTo(sv[wrt + 1].shape);
                    }
                    return grads;
                });
    }

    /** A scalar operand in this tensor's floating dtype: an F32 op (and F16/BF16, computed in F32) uses the float nearest to it. */
    private double constant(double v) {
        return dtype() == DType.F32 || dtype().isHalf() ? (double) (float) v : v;
    }

    // ---- in place ----
    //
    // An in-place op under autograd is recorded as the out-of-place op on the tensor's previous value, whose result
    // is written into the tensor's storage; the tensor then gets that op's node as its history. Nodes recorded
    // earlier keep their edges to the history they saw (Node's edges are nodes, not tensors). When the tensor is a
    // view, its base gets a new history too: a copySlices node that takes the view's region of the gradient from
    // the in-place op and the rest from the base's previous history (PyTorch's CopySlices). Every view of that base
    // remakes its own history from the base's at its next use (historyEpoch / baseEpoch).

    public Tensor addi(Tensor o) { return inPlace(BinaryOp.ADD, o); }
    public Tensor subi(Tensor o) { return inPlace(BinaryOp.SUB, o); }
    public Tensor muli(Tensor o) { return inPlace(BinaryOp.MUL, o); }
    public Tensor divi(Tensor o) { return inPlace(BinaryOp.DIV, o); }
    public Tensor addi(double v) { return inPlace(UnaryOp.ADD_SCALAR, v); }
    public Tensor subi(double v) { return inPlace("sub", UnaryOp.ADD_SCALAR, -v); }
    public Tensor muli(double v) { return inPlace(UnaryOp.MUL_SCALAR, v); }
    public Tensor divi(double v) { return inPlace(UnaryOp.DIV_SCALAR, v); }

    /**
     * Overwrites this tensor's elements with {@code src}'s (as PyTorch's {@code copy_}): {@code src} broadcasts to
     * this shape and may have another dtype (converted) or device (transferred first). Recorded by autograd like any
     * in-place op: the gradient flows to {@code src} (summed over the broadcast), none to the overwritten values.
     * A leaf that requires grad can only be overwritten under {@code Autograd.noGrad()}.
     */
    public Tensor copyFrom(Tensor src) {
        String name = "copyFrom";
        checkOpen();
        src.checkOpen();
        int[] result = Shapes.broadcast(shape, src.shape, name);
        if (!Arrays.equals(result, shape)) {
            throw new IllegalArgumentException(name + ": the source's shape " + Shapes.str(src.shape) + " does not broadcast to "
                    + Shapes.str(shape));
        }
        boolean recorded = GradMode.isEnabled() && (requiresGrad() || src.requiresGrad());
        checkWritable(name, recorded);
        if (recorded) {
            int[] srcShape = src.shape;
            return writeRecorded(previous -> {
                Tensor s = src.to(device).to(dtype());
                Tensor out = empty(device, dtype(), shape);
                be().copy(s.broadcastTo(shape), out.strided());
                Tensor r = record("copyFrom", out, new Tensor[] {previous, s}, NONE, NO_ROLES, (g, sv, needs) -> new Tensor[] {
                        needs[0] ? zerosLike(g) : null, needs[1] ? g.sumTo(srcShape) : null});
                if (s != src) s.close();
                return r;
            });
        }
        try (var off = GradMode.enter(false)) {
            Tensor s = src.to(device).to(dtype());
            be().copy(s.broadcastTo(shape), strided());
            if (s != src) s.close();
        }
        return bumped(name);
    }

    private Tensor inPlace(BinaryOp op, Tensor o) {
        String name = op.opName() + "_";
        checkOpen();
        o.checkOpen();
        checkSameDevice(o, name);
        checkSameDType(o, name);
        checkDTypeFor(name, op.integerAllowed());
        int[] result = Shapes.broadcast(shape, o.shape, name);
        if (!Arrays.equals(result, shape)) {
            throw new IllegalArgumentException(name + ": the result's shape " + Shapes.str(result)
                    + " differs from this tensor's shape " + Shapes.str(shape) + " (an in-place op cannot grow its target)");
        }
        boolean recorded = GradMode.isEnabled() && (requiresGrad() || o.requiresGrad());
        checkWritable(name, recorded);
        if (recorded) return writeRecorded(previous -> previous.copied(before -> before.binary(op, o)));
        be().binary(op, strided(), o.broadcastTo(shape), strided());
        return bumped(name);
    }

    private Tensor inPlace(UnaryOp op, double p) {
        return inPlace(op.opName(), op, p);
    }

    private Tensor inPlace(String opName, UnaryOp op, double p) {
        String name = opName + "_";
        checkOpen();
        checkDTypeFor(name, op.integerAllowed());
        boolean recorded = GradMode.isEnabled() && requiresGrad();
        checkWritable(name, recorded);
        double pc = constant(p);
        if (recorded) return writeRecorded(previous -> previous.copied(before -> before.unaryOf(opName, op, pc, 0)));
        be().unary(op, pc, 0, strided(), strided());
        return bumped(name);
    }

    /** {@code f} of a copy of this tensor (recorded), for an op that reads the value its in-place write replaces. */
    private Tensor copied(UnaryOperator<Tensor> f) {
        Tensor before = contiguousCopy();
        Tensor r = f.apply(before);
        before.close();
        return r;
    }

    private Tensor bumped(String name) {
        storage.bumpVersion();
        if (GradMode.anomalyDetection() && !allFinite()) {
            throw new IllegalStateException("anomaly: op '" + name + "' produced NaN or Inf; created at " + userFrame());
        }
        return this;
    }

    /** Every check of an in-place write, before any work ({@code recorded}: autograd will record it). */
    private void checkWritable(String name, boolean recorded) {
        if (GradMode.isEnabled() && requiresGrad() && isLeaf()) {
            throw new IllegalStateException(name + ": a leaf tensor that requires grad " + Shapes.str(shape)
                    + " cannot be changed in place while grad mode is on (wrap the update in Autograd.noGrad())");
        }
        if (overlaps(shape, strides)) {
            throw new IllegalArgumentException(name + ": the target " + Shapes.str(shape)
                    + " is an expanded view in which several elements share one memory location; call contiguous() first");
        }
        if (!recorded) return;
        if (noGradView) {
            throw new IllegalStateException(name + ": this view " + Shapes.str(shape) + " was made under noGrad, so autograd "
                    + "cannot track a change through it to the tensor it views; change it under noGrad too, or make the view with grad mode on");
        }
        if (viewBase != null && viewBase.requiresGrad && viewBase.gradFn == null) {
            throw new IllegalStateException(name + ": this tensor " + Shapes.str(shape) + " is a view of a leaf that requires grad "
                    + Shapes.str(viewBase.shape) + ", which cannot be changed in place while grad mode is on (wrap the update in Autograd.noGrad())");
        }
        if (viewBase != null && overlaps(viewBase.shape, viewBase.strides)) {
            throw new IllegalArgumentException(name + ": this tensor " + Shapes.str(shape) + " is a view of an expanded tensor "
                    + Shapes.str(viewBase.shape) + " in which several elements share one memory location; autograd cannot "
                    + "track an in-place change through it (call contiguous() on the base first)");
        }
    }

    private static boolean overlaps(int[] shape, int[] strides) {
        for (int d = 0; d < shape.length; d++) if (strides[d] == 0 && shape[d] > 1) return true;
        return false;
    }

    /**
     * The recorded path of an in-place op: {@code newValue} computes, as a recorded out-of-place op, the new value
     * from a handle on this tensor's previous value and history (a handle sharing this storage: copy it first if the
     * op reads it, since the write below changes it). The result is written into this storage, and this tensor's
     * history (and, for a view, its base's) becomes that op's.
     */
    private Tensor writeRecorded(UnaryOperator<Tensor> newValue) {
        Tensor previous = alias(shape, strides, offset, false);
        previous.takeHistoryOf(this);
        Tensor r = newValue.apply(previous);
        previous.close();
        be().copy(r.strided(), strided());
        storage.bumpVersion();
        if (viewBase == null) {
            gradFn = r.gradFn;
            requiresGrad = true;
            historyEpoch++;
        } else {
            viewBase.rewriteHistoryThroughView(this, r);
        }
        r.close();
        return this;
    }

    /**
     * This base's new history after {@code view} (one of its views) was overwritten in place with {@code r}: the
     * gradient of the base's region under the view goes to {@code r}'s op, the rest to the base's previous history.
     * The gradient is laid out as this base lies in its storage, so the view's region is where the view lies.
     */
    private void rewriteHistoryThroughView(Tensor view, Tensor r) {
        int[] bShape = shape, bStrides = strides, vShape = view.shape, vStrides = view.strides;
        int bOffset = offset, vOffset = view.offset, extent = extent(shape, strides, offset);
        boolean dense = offset == 0 && isContiguous();
        Node<Tensor>[] next = edges(2);
        next[0] = requiresGrad ? gradientEdge() : null;
        next[1] = r.gradientEdge();
        UnaryOperator<Tensor> replay = view.viewReplay;
        gradFn = Node.op("copySlices", shape, next, NONE, NO_ROLES, (g, s, needs) -> {
            Backend be = g.be();
            if (GradMode.isEnabled()) return copySlicesGradients(g, replay, needs);
            Tensor laid = zeros(g.device, g.dtype(), extent);
            Strided base = new Strided(laid.storage.buffer, bShape, bStrides, bOffset);
            Strided region = new Strided(laid.storage.buffer, vShape, vStrides, vOffset);
            be.copy(g.strided(), base);
            Tensor[] grads = new Tensor[2];
            if (needs[1]) {
                grads[1] = empty(g.device, g.dtype(), vShape);
                be.copy(region, grads[1].strided());
            }
            if (needs[0]) {
                be.fill(region, 0);
                if (dense) {
                    grads[0] = laid.reshape(bShape);
                } else {
                    grads[0] = empty(g.device, g.dtype(), bShape);
                    be.copy(base, grads[0].strided());
                }
            }
            if (grads[0] != laid) laid.close();
            return grads;
        }, GradMode.anomalyDetection() ? userFrame() : null);
        requiresGrad = true;
        historyEpoch++;
    }

    /**
     * copySlices' gradients as differentiable ops, for a backward with createGraph: the view's region of {@code g}
     * through the view ops that made the view ({@code replay}), and {@code g} with that region zeroed by a constant mask.
     */
    private static Tensor[] copySlicesGradients(Tensor g, UnaryOperator<Tensor> replay, boolean[] needs) {
        Tensor[] grads = new Tensor[2];
        if (needs[1]) {
            Tensor dense = g.contiguous();
            grads[1] = replay.apply(dense);
            if (dense != g && dense != grads[1]) dense.close();
        }
        if (needs[0]) {
            Tensor keep = ones(g.device, g.dtype(), g.shape);
            try (var off = GradMode.enter(false)) {
                Tensor hole = replay.apply(keep);
                g.be().fill(hole.strided(), 0);
                if (hole != keep) hole.close();
            }
            grads[0] = g.mul(keep);
            keep.close();
        }
        return grads;
    }

    /** How many elements of storage a view spans from its start: the last element's position + 1. */
    private static int extent(int[] shape, int[] strides, int offset) {
        int last = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return offset;
            last += (shape[d] - 1) * strides[d];
        }
        return last + 1;
    }

    /** A view's history is remade from its base's when the base got a new one since (an in-place op through any view of it). */
    private void refreshView() {
        Tensor base = viewBase;
        if (base == null || baseEpoch == base.historyEpoch) return;
        baseEpoch = base.historyEpoch;
        try (var on = GradMode.enter(true); Scope scope = Scope.open()) {
            Tensor remade = viewReplay.apply(base.openHandle());
            gradFn = remade.gradFn;
            requiresGrad = remade.requiresGrad;
        }
    }

    /** This tensor, or when its handle was closed (its views keep the storage alive) a new handle with its history. */
    private Tensor openHandle() {
        if (!closed) return this;
        storage.retain();
        Tensor h = new Tensor(device, storage, shape, strides, offset, true);
        h.takeHistoryOf(this);
        return h;
    }

    // =====================================================================================================
    // Reductions
    // =====================================================================================================

    public Tensor sum() { return reduceAll(ReduceOp.SUM, "sum"); }
    public Tensor mean() { return reduceAll(ReduceOp.MEAN, "mean"); }
    public Tensor sum(int dim, boolean keepDim) { return reduceDim(ReduceOp.SUM, "sum", dim, keepDim); }
    public Tensor mean(int dim, boolean keepDim) { return reduceDim(ReduceOp.MEAN, "mean", dim, keepDim); }

    private Tensor reduceAll(ReduceOp op, String name) {
        checkOpen();
        checkDTypeFor(name, op == ReduceOp.SUM);
        Tensor out = empty(device, dtype(), new int[0]);
        be().reduce(op, strided(), keepDimView(out, Shapes.ones(shape.length)));
        int[] inShape = shape;
        int n = Shapes.numel(shape);
        return record(name, out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> {
            Tensor spread = g.reshape(Shapes.ones(inShape.length)).expand(inShape);
            return new Tensor[] {op == ReduceOp.MEAN ? spread.div(n) : spread};
        });
    }

    private Tensor reduceDim(ReduceOp op, String name, int dim, boolean keepDim) {
        int d = reductionDim(name, dim, op == ReduceOp.SUM, false);   // a mean over nothing is NaN, as in PyTorch
        int[] keep = keepShape(d);
        Tensor out = empty(device, dtype(), keepDim ? keep : dropDim(shape, d));
        be().reduce(op, strided(), keepDimView(out, keep));
        int[] inShape = shape;
        int n = shape[d];
        return record(name, out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> {
            Tensor spread = g.reshape(keep).expand(inShape);
            return new Tensor[] {op == ReduceOp.MEAN ? spread.div(n) : spread};
        });
    }

    /**
     * The largest element. NaN wins, as in PyTorch. Its gradient is shared evenly by every element equal to it (by
     * every NaN when it is NaN), as PyTorch's; {@link #max(int, boolean)} gives it to one element per slice instead.
     */
    public Tensor max() { return pickAll(ReduceOp.MAX, "max"); }

    /** The smallest element; NaN wins, and ties share the gradient evenly, as {@link #max()}. */
    public Tensor min() { return pickAll(ReduceOp.MIN, "min"); }

    /** Largest values along {@code dim}; the gradient goes to the first maximum of each slice (as PyTorch's indices). */
    public Tensor max(int dim, boolean keepDim) { return pickDim(ReduceOp.MAX, ReduceOp.ARGMAX, "max", dim, keepDim); }

    /** Smallest values along {@code dim}; the gradient goes to the first minimum of each slice. */
    public Tensor min(int dim, boolean keepDim) { return pickDim(ReduceOp.MIN, ReduceOp.ARGMIN, "min", dim, keepDim); }

    /** Index (I32) of the first maximum along {@code dim}; not differentiable. */
    public Tensor argmax(int dim) { return pickIndex(ReduceOp.ARGMAX, "argmax", dim); }

    /** Index (I32) of the first minimum along {@code dim}; not differentiable. */
    public Tensor argmin(int dim) { return pickIndex(ReduceOp.ARGMIN, "argmin", dim); }

    private Tensor pickAll(ReduceOp valueOp, String name) {
        checkOpen();
        checkDTypeFor(name, true);
        if (numel() == 0) throw new IllegalArgumentException(name + " of an empty tensor " + Shapes.str(shape));
        Tensor out = empty(device, dtype(), new int[0]);
        int[] keep = Shapes.ones(shape.length);
        be().reduce(valueOp, strided(), keepDimView(out, keep));
        // PyTorch's evenly_distribute_backward: every element equal to the result (every NaN where it is NaN) gets
        // the same share of the gradient, so ties split it; tensor ops, so the rule reads as its formula
        return record(name, out, new Tensor[] {this}, new Tensor[] {this, out}, new String[] {"input", "result"}, (g, s, needs) -> {
            Tensor picked = s[0].binary(BinaryOp.SAME, s[1]);
            return new Tensor[] {picked.mul(g.div(picked.sum()))};
        });
    }

    private Tensor pickDim(ReduceOp valueOp, ReduceOp indexOp, String name, int dim, boolean keepDim) {
        int d = reductionDim(name, dim, true, true);
        int[] keep = keepShape(d);
        Tensor out = empty(device, dtype(), keepDim ? keep : dropDim(shape, d));
        be().reduce(valueOp, strided(), keepDimView(out, keep));
        if (!GradMode.isEnabled() || !requiresGrad()) return record(name, out, new Tensor[] {this}, NONE, NO_ROLES, null);
        Tensor index = empty(device, DType.I32, keep);
        be().reduce(indexOp, strided(), index.strided());
        int[] inShape = shape;
        Tensor result = record(name, out, new Tensor[] {this}, new Tensor[] {index}, new String[] {indexOp.name().toLowerCase(java.util.Locale.ROOT)},
                (g, s, needs) -> new Tensor[] {scatterAdd(g.reshape(keep), d, s[0], inShape)});
        index.close();
        return result;
    }

    private Tensor pickIndex(ReduceOp op, String name, int dim) {
        int d = reductionDim(name, dim, true, true);
        Tensor out = empty(device, DType.I32, dropDim(shape, d));
        be().reduce(op, strided(), keepDimView(out, keepShape(d)));
        return out;
    }

    /** Checks a reduction over one dim and resolves the dim; ops that pick an element need a non-empty dim. */
    private int reductionDim(String op, int dim, boolean integerAllowed, boolean needsElement) {
        checkOpen();
        checkDTypeFor(op, integerAllowed);
        int d = Shapes.dim(dim, shape.length, op);
        if (needsElement && shape[d] == 0) throw new IllegalArgumentException(op + " over an empty dim of " + Shapes.str(shape));
        return d;
    }

    /** This shape with dim {@code d} reduced to size 1. */
    private int[] keepShape(int d) {
        int[] keep = shape.clone();
        keep[d] = 1;
        return keep;
    }

    /** The L2 norm of all elements; its gradient is x / ‖x‖, and 0 at x = 0 (as PyTorch). */
    public Tensor norm() {
        checkOpen();
        checkDTypeFor("norm", false);
        Tensor sq;
        Tensor out;
        try (var off = GradMode.enter(false)) {
            sq = mul(this);
            out = sq.sum().sqrt();
        }
        sq.close();
        return record("norm", out, new Tensor[] {this}, new Tensor[] {this, out}, new String[] {"input", "output"},
                (g, s, needs) -> {
                    // x / max(|x|, tiny) * g: 0 where x = 0 (all of x, when the norm is 0), with no device read of the
                    // norm (an item() here drained the queue); NaN propagates through clamp
                    double tiny = s[1].dtype() == DType.F64 ? Double.MIN_NORMAL : Float.MIN_NORMAL;
                    return new Tensor[] {s[0].div(s[1].clamp(tiny, Double.POSITIVE_INFINITY)).mul(g)};
                });
    }

    /** The unbiased variance of all elements (Bessel's correction, PyTorch's default): {@code sum((x - mean)^2) / (n - 1)}. */
    public Tensor var() { return var(true); }

    /** The variance of all elements, divided by {@code n - 1} when {@code unbiased}, else by {@code n}. */
    public Tensor var(boolean unbiased) {
        checkOpen();
        checkDTypeFor("var", false);
        return variance(mean(), Shapes.numel(shape), unbiased, Tensor::sum);
    }

    /** The unbiased variance along {@code dim}. */
    public Tensor var(int dim, boolean keepDim) { return var(dim, true, keepDim); }

    /** The variance along {@code dim}, as {@code torch.var(x, dim, unbiased, keepdim)}. */
    public Tensor var(int dim, boolean unbiased, boolean keepDim) {
        int d = reductionDim("var", dim, false, false);
        return variance(mean(d, true), shape[d], unbiased, t -> t.sum(d, keepDim));
    }

    /** The unbiased standard deviation of all elements: {@code sqrt(var())}. */
    public Tensor std() { return std(true); }

    public Tensor std(boolean unbiased) { return rootOf(var(unbiased)); }

    public Tensor std(int dim, boolean keepDim) { return std(dim, true, keepDim); }

    public Tensor std(int dim, boolean unbiased, boolean keepDim) { return rootOf(var(dim, unbiased, keepDim)); }

    /**
     * Two passes, as stable as the data allows: the squared deviations from {@code mean}, summed by {@code sum} and
     * divided by {@code n - 1} or {@code n}. Composed of recorded ops, so its gradient is
     * {@code 2 (x - mean) / (n - 1)} times the upstream gradient. Fewer than two elements give NaN unbiased, as in PyTorch.
     */
    private Tensor variance(Tensor mean, int n, boolean unbiased, UnaryOperator<Tensor> sum) {
        Tensor centered = sub(mean);
        mean.close();
        Tensor squares = centered.mul(centered);
        centered.close();
        Tensor total = sum.apply(squares);
        squares.close();
        Tensor v = total.div(unbiased ? n - 1 : n);
        total.close();
        return v;
    }

    private static Tensor rootOf(Tensor v) {
        Tensor r = v.sqrt();
        v.close();
        return r;
    }

    /** The output's buffer seen with the input's rank (reduced dims of size 1), as {@link Backend#reduce} takes it. */
    private static Strided keepDimView(Tensor out, int[] keep) {
        return new Strided(out.storage.buffer, keep, Strided.contiguousStrides(keep), out.offset);
    }

    private static int[] dropDim(int[] shape, int d) {
        int[] out = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) out[j++] = shape[i];
        return out;
    }

    /** Sums a broadcast gradient back to {@code target} (a shape this one was broadcast from); its gradient expands back. */
    Tensor sumTo(int[] target) {
        if (Arrays.equals(shape, target)) return this;
        int lead = shape.length - target.length;
        int[] keep = new int[shape.length];
        for (int d = 0; d < shape.length; d++) keep[d] = d < lead ? 1 : target[d - lead];
        if (Arrays.equals(keep, shape)) return reshape(target);
        Tensor out = empty(device, dtype(), target);
        be().reduce(ReduceOp.SUM, strided(), keepDimView(out, keep));
        int[] from = shape;
        return record("sum", out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> new Tensor[] {g.reshape(keep).expand(from)});
    }

    // =====================================================================================================
    // Linear algebra
    // =====================================================================================================

    /**
     * Matrix product with PyTorch's rules: 1-D·1-D is a dot product, a 1-D operand is promoted to a matrix and
     * the added dim removed after, 2-D is a matrix product, more dims are batches (broadcast).
     */
    public Tensor matmul(Tensor o) {
        checkOpen();
        o.checkOpen();
        if (Autocast.dtype() != null) {          // an open autocast region: F32 operands as 16-bit copies
            Tensor a = Autocast.lower(this), b = Autocast.lower(o);
            if (a != this || b != o) return a.matmul(b);
        }
        checkSameDevice(o, "matmul");
        checkSameDType(o, "matmul");
        checkDTypeFor("matmul", false);
        if (dim() == 0 || o.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dimension, got shapes "
                    + Shapes.str(shape) + " and " + Shapes.str(o.shape));
        }
        int k1 = shape[shape.length - 1];
        int k2 = o.dim() == 1 ? o.shape[0] : o.shape[o.dim() - 2];
        if (k1 != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape) + " and " + Shapes.str(o.shape)
                    + " cannot be multiplied (" + k1 + " vs " + k2 + ")");
        }
        if (dim() == 1 && o.dim() == 1) return unsqueeze(0).matmul(o.unsqueeze(1)).reshape();
        if (dim() == 1) return unsqueeze(0).matmul(o).squeeze(-2);
        if (o.dim() == 1) return matmul(o.unsqueeze(1)).squeeze(-1);
        return matmulBatched(o);
    }

    private Tensor matmulBatched(Tensor o) {
        int m = shape[dim() - 2], k = shape[dim() - 1], n = o.shape[o.dim() - 1];
        int[] batch = Shapes.broadcast(Arrays.copyOf(shape, dim() - 2), Arrays.copyOf(o.shape, o.dim() - 2), "matmul");
        int batchCount = Shapes.numel(batch);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = empty(device, dtype(), outShape);
        List<Tensor> temps = new ArrayList<>(2);
        MatrixOperand a = matrixOperand(batch, batchCount, temps);
        MatrixOperand b = o.matrixOperand(batch, batchCount, temps);
        be().matmul(a.view, a.transposed, b.view, b.transposed,
                new Strided(out.storage.buffer, new int[] {batchCount, m, n}, new int[] {m * n, n, 1}, 0), 1, 0);
        for (Tensor t : temps) t.close();
        int[] shapeA = shape, shapeB = o.shape;
        boolean bTransposed = dim() == 2 && o.dim() == 2 && !o.isContiguous() && o.strides[0] == 1 && o.strides[1] == o.shape[0];
        return record("matmul", out, new Tensor[] {this, o},
                new Tensor[] {o.requiresGrad() ? this : null, requiresGrad() ? o : null}, new String[] {"input 0", "input 1"},
                (g, s, needs) -> {
                    Tensor[] grads = new Tensor[2];
                    if (s[1] != null) grads[0] = reduceBatch(g.matmul(s[1].transpose(-1, -2)), shapeA);
                    if (s[0] != null && bTransposed) {
                        // b is a transposed view (x W^T in a Linear layer): compute its gradient in the same layout,
                        // (g^T a)^T, so the transpose's own backward hands W a dense gradient and nothing is copied
                        Tensor gt = g.transpose(-1, -2), dense = gt.matmul(s[0]);
                        grads[1] = dense.transpose(-1, -2);
                        gt.close();
                        dense.close();
                    } else if (s[0] != null) {
                        grads[1] = reduceBatch(s[0].transpose(-1, -2).matmul(g), shapeB);
                    }
                    return grads;
                });
    }

    private static Tensor reduceBatch(Tensor g, int[] target) {
        Tensor r = g.sumTo(target);
        if (r != g) g.close();
        return r;
    }

    /** A matrix operand as the backend takes it: rank 3 with a unit last stride, maybe transposed. */
    private record MatrixOperand(Strided view, boolean transposed) {}

    private MatrixOperand matrixOperand(int[] batch, int batchCount, List<Tensor> temps) {
        int r = shape[dim() - 2], c = shape[dim() - 1];
        int rs = strides[dim() - 2], cs = strides[dim() - 1];
        Strided full = broadcastTo(concat(batch, r, c));
        int batchStride = mergedBatchStride(full, batch.length);
        if (batchStride != -2) {
            if ((cs == 1 || c == 1) && (rs >= c || r == 1)) {
                return new MatrixOperand(new Strided(storage.buffer, new int[] {batchCount, r, c},
                        new int[] {batchStride, r == 1 ? c : rs, 1}, offset), false);
            }
            if ((rs == 1 || r == 1) && (cs >= r || c == 1)) {
                return new MatrixOperand(new Strided(storage.buffer, new int[] {batchCount, c, r},
                        new int[] {batchStride, c == 1 ? r : cs, 1}, offset), true);
            }
        }
        Tensor dense = empty(device, dtype(), full.shape());
        be().copy(full, dense.strided());
        temps.add(dense);
        return new MatrixOperand(new Strided(dense.storage.buffer, new int[] {batchCount, r, c},
                new int[] {r * c, c, 1}, 0), false);
    }

    /** The single stride that walks all batch dims of a view in order, or -2 when none does. */
    private static int mergedBatchStride(Strided v, int batchDims) {
        int stride = 0;
        boolean set = false;
        for (int d = batchDims - 1; d >= 0; d--) {
            int size = v.shape()[d];
            if (size == 1) continue;
            int s = v.strides()[d];
            if (!set) {
                stride = s;
                set = true;
                continue;
            }
            // an outer dim must step exactly over the inner ones already merged
            int inner = 1;
            for (int e = d + 1; e < batchDims; e++) inner *= v.shape()[e];
            if (s != stride * inner) return -2;
        }
        return stride;
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }

    // =====================================================================================================
    // Shape and layout
    // =====================================================================================================

    /** A new handle on this storage with another shape/strides (shares memory, version and lifetime). */
    private Tensor alias(int[] newShape, int[] newStrides, int newOffset, boolean tracked) {
        checkOpen();
        storage.retain();
        return new Tensor(device, storage, newShape, newStrides, newOffset, tracked).withRangeOf(this);
    }

    /**
     * A view: same data, another shape; recorded with the given backward. {@code replay} makes the same view of any
     * tensor with this one's shape (the view op itself), so the view's history can be remade from its base's.
     */
    private Tensor view(String op, int[] newShape, int[] newStrides, int newOffset, UnaryOperator<Tensor> replay, Node.Vjp<Tensor> vjp) {
        Tensor out = alias(newShape, newStrides, newOffset, true);
        if (GradMode.isEnabled()) {
            out.viewBase = viewBase != null ? viewBase : this;
            UnaryOperator<Tensor> before = viewReplay;
            out.viewReplay = viewBase != null ? t -> replay.apply(before.apply(t)) : replay;
            out.baseEpoch = out.viewBase.historyEpoch;
        } else {
            out.noGradView = true;
        }
        return record(op, out, new Tensor[] {this}, NONE, NO_ROLES, vjp);
    }

    /** This tensor's elements seen with {@code target} shape (broadcast: zero strides where repeated). */
    public Strided broadcastTo(int[] target) {
        checkOpen();
        int lead = target.length - shape.length;
        int[] st = new int[target.length];
        for (int d = 0; d < shape.length; d++) {
            st[d + lead] = shape[d] == 1 && target[d + lead] != 1 ? 0 : strides[d];
        }
        return new Strided(storage.buffer, target, st, offset);
    }

    /** A view with another shape of contiguous data (one -1 is inferred); throws for non-contiguous views. */
    public Tensor view(int... newShape) {
        checkOpen();
        int[] target = Shapes.inferReshape(shape, newShape, "view");
        if (!isContiguous()) {
            throw new IllegalStateException("view" + Shapes.str(newShape) + ": this tensor " + Shapes.str(shape)
                    + " with strides " + Shapes.str(strides) + " is not contiguous; use reshape(...) (which copies) or contiguous()");
        }
        int[] from = shape;
        return view("view", target, Strided.contiguousStrides(target), offset, t -> t.view(target),
                (g, s, needs) -> new Tensor[] {g.reshape(from)});
    }

    /** Another shape with the same elements: a view when contiguous, else a copy. One -1 is inferred. */
    public Tensor reshape(int... newShape) {
        checkOpen();
        int[] target = Shapes.inferReshape(shape, newShape, "reshape");
        if (Arrays.equals(target, shape)) return this;
        if (!isContiguous()) {
            Tensor c = contiguous();
            Tensor r = c.reshape(target);
            c.close();
            return r;
        }
        int[] from = shape;
        return view("reshape", target, Strided.contiguousStrides(target), offset, t -> t.reshape(target),
                (g, s, needs) -> new Tensor[] {g.reshape(from)});
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    /** This tensor if contiguous, else a contiguous copy (differentiable). */
    public Tensor contiguous() {
        checkOpen();
        if (isContiguous()) return this;
        return contiguousCopy();
    }

    /** Always a fresh contiguous copy (differentiable). */
    public Tensor contiguousCopy() {
        checkOpen();
        Tensor out = empty(device, dtype(), shape);
        be().copy(strided(), out.strided());
        return record("contiguous", out, new Tensor[] {this}, NONE, NO_ROLES, (g, s, needs) -> new Tensor[] {g});
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int a, int b) {
        checkOpen();
        int da = Shapes.dim(a, shape.length, "transpose"), db = Shapes.dim(b, shape.length, "transpose");
        int[] sh = shape.clone(), st = strides.clone();
        sh[da] = shape[db];
        sh[db] = shape[da];
        st[da] = strides[db];
        st[db] = strides[da];
        return view("transpose", sh, st, offset, t -> t.transpose(da, db), (g, s, needs) -> new Tensor[] {g.transpose(da, db)});
    }

    /**
     * The dims reordered (a view): dim {@code i} of the result is dim {@code dims[i]} of this tensor, as
     * {@code torch.permute}; {@code dims} must name every dim once (negative dims count from the end).
     */
    public Tensor permute(int... dims) {
        checkOpen();
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: " + Shapes.str(dims) + " names " + dims.length + " dims, the tensor "
                    + Shapes.str(shape) + " has " + shape.length);
        }
        int[] order = new int[dims.length], inverse = new int[dims.length], sh = new int[dims.length], st = new int[dims.length];
        java.util.Arrays.fill(inverse, -1);
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim(dims[i], shape.length, "permute");
            if (inverse[d] >= 0) throw new IllegalArgumentException("permute: dim " + d + " appears twice in " + Shapes.str(dims));
            order[i] = d;
            inverse[d] = i;
            sh[i] = shape[d];
            st[i] = strides[d];
        }
        return view("permute", sh, st, offset, t -> t.permute(order), (g, s, needs) -> new Tensor[] {g.permute(inverse)});
    }

    /** Transpose of a matrix (a view); 0-D and 1-D tensors are returned as they are. */
    public Tensor t() {
        checkOpen();
        if (dim() > 2) throw new IllegalArgumentException("t() expects a tensor with at most 2 dims, got " + Shapes.str(shape) + "; use transpose(a, b)");
        return dim() < 2 ? this : transpose(0, 1);
    }

    /** Elements {@code start .. start+length-1} along {@code dim} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        checkOpen();
        int d = Shapes.dim(dim, shape.length, "narrow");
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length + " exceed dim " + dim
                    + " of size " + shape[d] + " in shape " + Shapes.str(shape));
        }
        int[] sh = shape.clone();
        sh[d] = length;
        int[] inShape = shape;
        return view("narrow", sh, strides, offset + start * strides[d], t -> t.narrow(d, start, length),
                (g, s, needs) -> new Tensor[] {padded(g, inShape, d, start)});
    }

    /** A zero tensor of {@code shape} with {@code g} copied in at {@code start} along {@code d} (narrow's backward); its gradient narrows again. */
    private static Tensor padded(Tensor g, int[] shape, int d, int start) {
        Tensor dx = zeros(g.device, g.dtype(), shape);
        int length = g.shape[d];
        g.be().copy(g.strided(), dx.narrowView(d, start, length));
        return recordGradient("narrowBackward", dx, new Tensor[] {g}, NONE, NO_ROLES, (gg, s, needs) -> new Tensor[] {gg.narrow(d, start, length)});
    }

    private Strided narrowView(int d, int start, int length) {
        int[] sh = shape.clone();
        sh[d] = length;
        return new Strided(storage.buffer, sh, strides, offset + start * strides[d]);
    }

    /** Inserts a dim of size 1 at {@code dim} (which may be {@code dim()} for the end). */
    public Tensor unsqueeze(int dim) {
        checkOpen();
        int d = Shapes.dim(dim, shape.length + 1, "unsqueeze");
        int[] sh = new int[shape.length + 1], st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < sh.length; i++) {
            if (i == d) {
                sh[i] = 1;
                st[i] = d < shape.length ? shape[d] * strides[d] : 1;
            } else {
                sh[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        int[] from = shape;
        return view("unsqueeze", sh, st, offset, t -> t.unsqueeze(d), (g, s, needs) -> new Tensor[] {g.reshape(from)});
    }

    /** Removes {@code dim} if it has size 1 (otherwise returns this tensor unchanged, as PyTorch). */
    public Tensor squeeze(int dim) {
        checkOpen();
        int d = Shapes.dim(dim, shape.length, "squeeze");
        if (shape[d] != 1) return this;
        int[] from = shape;
        return view("squeeze", dropDim(shape, d), dropDim(strides, d), offset, t -> t.squeeze(d),
                (g, s, needs) -> new Tensor[] {g.reshape(from)});
    }

    /** Repeats size-1 dims (and adds leading dims) without copying; -1 keeps a size. The gradient is summed back. */
    public Tensor expand(int... sizes) {
        checkOpen();
        if (sizes.length < shape.length) {
            throw new IllegalArgumentException("expand: the target " + Shapes.str(sizes) + " has fewer dims than the tensor " + Shapes.str(shape));
        }
        int lead = sizes.length - shape.length;
        int[] target = sizes.clone();
        for (int d = 0; d < sizes.length; d++) {
            int have = d < lead ? 1 : shape[d - lead];
            if (sizes[d] == -1) {
                if (d < lead) throw new IllegalArgumentException("expand: -1 is not allowed for a new leading dim in " + Shapes.str(sizes));
                target[d] = have;
            } else if (sizes[d] != have && have != 1) {
                throw new IllegalArgumentException("expand: dim " + d + " of " + Shapes.str(shape) + " has size " + have
                        + " and cannot be expanded to " + sizes[d] + " (only size-1 dims expand)");
            }
        }
        Strided v = broadcastTo(target);
        int[] from = shape;
        return view("expand", target, v.strides(), offset, t -> t.expand(target), (g, s, needs) -> new Tensor[] {g.sumTo(from)});
    }

    /** Concatenates tensors of equal shape except along {@code dim}. */
    public static Tensor cat(List<Tensor> ts, int dim) {
        if (ts == null || ts.isEmpty()) throw new IllegalArgumentException("cat: needs at least one tensor");
        Tensor first = ts.get(0);
        first.checkOpen();
        int d = Shapes.dim(dim, first.dim(), "cat");
        int total = 0;
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            t.checkOpen();
            first.checkSameDevice(t, "cat");
            first.checkSameDType(t, "cat");
            boolean ok = t.dim() == first.dim();
            for (int e = 0; ok && e < t.dim(); e++) ok = e == d || t.shape[e] == first.shape[e];
            if (!ok) {
                throw new IllegalArgumentException("cat along dim " + dim + ": tensor " + i + " has shape " + Shapes.str(t.shape)
                        + ", which does not match tensor 0's shape " + Shapes.str(first.shape) + " outside that dim");
            }
            total += t.shape[d];
        }
        int[] outShape = first.shape.clone();
        outShape[d] = total;
        Tensor out = empty(first.device, first.dtype(), outShape);
        int[] starts = new int[ts.size()];
        int[] lengths = new int[ts.size()];
        int at = 0;
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            starts[i] = at;
            lengths[i] = t.shape[d];
            if (lengths[i] > 0) first.be().copy(t.strided(), out.narrowView(d, at, lengths[i]));
            at += lengths[i];
        }
        return record("cat", out, ts.toArray(new Tensor[0]), NONE, NO_ROLES, (g, s, needs) -> {
            Tensor[] grads = new Tensor[starts.length];
            for (int i = 0; i < grads.length; i++) grads[i] = g.narrow(d, starts[i], lengths[i]);
            return grads;
        });
    }

    /** {@code out[i][j] = this[index[i][j]][j]} for dim 0 (and likewise for other dims); index is I32 of the same rank. */
    public Tensor gather(int dim, Tensor index) {
        checkOpen();
        index.checkOpen();
        checkSameDevice(index, "gather");
        if (index.dtype() != DType.I32) throw new IllegalArgumentException("gather: the index must be I32, got " + index.dtype());
        if (index.dim() != dim()) {
            throw new IllegalArgumentException("gather: the index " + Shapes.str(index.shape) + " must have the same rank as the input "
                    + Shapes.str(shape));
        }
        int d = Shapes.dim(dim, shape.length, "gather");
        for (int e = 0; e < dim(); e++) {
            if (e != d && index.shape[e] > shape[e]) {
                throw new IllegalArgumentException("gather: index shape " + Shapes.str(index.shape) + " exceeds input shape "
                        + Shapes.str(shape) + " in dim " + e);
            }
        }
        Checks.valuesBelow(index, shape[d], (value, i) -> "gather: index " + value + " (element " + i + ") is out of range for dim "
                + dim + " of size " + shape[d] + " in input " + Shapes.str(shape));
        return gatherChecked(d, index);
    }

    /** {@link #gather} once its arguments are checked; the gradient scatters back ({@link #scatterAdd}). */
    private Tensor gatherChecked(int d, Tensor index) {
        Tensor out = empty(device, dtype(), index.shape);
        be().gather(strided(), d, index.strided(), out.strided());
        out.withRangeOf(this);
        int[] inShape = shape;
        return record("gather", out, new Tensor[] {this, null}, new Tensor[] {index}, new String[] {"index"},
                (g, s, needs) -> new Tensor[] {scatterAdd(g, d, s[0], inShape), null});
    }

    /**
     * A tensor of {@code shape}, zero but for {@code src} added at {@code index} along {@code d} (the backward of
     * gather and of max over a dim); its own gradient gathers back, so it is differentiable again.
     */
    private static Tensor scatterAdd(Tensor src, int d, Tensor index, int[] shape) {
        Tensor dx = zeros(src.device, src.dtype(), shape);
        src.be().scatterAdd(src.strided(), d, index.strided(), dx.strided());
        return recordGradient("scatterAdd", dx, new Tensor[] {src, null}, new Tensor[] {index}, new String[] {"index"},
                (g, s, needs) -> new Tensor[] {g.gatherChecked(d, s[0]), null});
    }

    /**
     * The entries {@code index[0], index[1], ...} of this tensor along {@code dim} (PyTorch's {@code index_select}):
     * the result has this shape with {@code index.numel()} along dim; {@code index} is 1-D I32 and may repeat
     * entries. A data loader's batch is {@code images.indexSelect(0, rows)}: on the CPU one copy per row. The
     * gradient adds each row of the upstream gradient back into the row it came from.
     */
    public Tensor indexSelect(int dim, Tensor index) {
        checkOpen();
        index.checkOpen();
        checkSameDevice(index, "indexSelect");
        if (index.dtype() != DType.I32 || index.dim() != 1) {
            throw new IllegalArgumentException("indexSelect: the index must be 1-D I32, got " + index.dtype() + " " + Shapes.str(index.shape));
        }
        int d = Shapes.dim(dim, shape.length, "indexSelect");
        Checks.valuesBelow(index, shape[d], (value, i) -> "indexSelect: index " + value + " (element " + i + ") is out of range for dim "
                + dim + " of size " + shape[d] + " in input " + Shapes.str(shape));
        return indexSelectChecked(d, index);
    }

    /** {@link #indexSelect} once its arguments are checked; the gradient adds rows back ({@link #indexAdd}). */
    private Tensor indexSelectChecked(int d, Tensor index) {
        int[] outShape = shape.clone();
        outShape[d] = index.shape[0];
        Tensor out = empty(device, dtype(), outShape);
        be().indexSelect(strided(), d, index.strided(), out.strided());
        out.withRangeOf(this);
        int[] inShape = shape;
        return record("indexSelect", out, new Tensor[] {this, null}, new Tensor[] {index}, new String[] {"index"},
                (g, s, needs) -> new Tensor[] {indexAdd(g, d, s[0], inShape), null});
    }

    /** A tensor of {@code shape}, zero but for the rows of {@code src} added into rows {@code index} along {@code d}; its gradient selects them again. */
    private static Tensor indexAdd(Tensor src, int d, Tensor index, int[] shape) {
        Tensor dx = zeros(src.device, src.dtype(), shape);
        src.be().scatterAdd(src.strided(), d, Backend.spread(index.strided(), d, src.shape), dx.strided());
        return recordGradient("indexAdd", dx, new Tensor[] {src, null}, new Tensor[] {index}, new String[] {"index"},
                (g, s, needs) -> new Tensor[] {g.indexSelectChecked(d, s[0]), null});
    }

    /**
     * Cross-entropy of each row of these {@code [N, C]} logits against I32 class labels {@code [N]}: the
     * per-row losses {@code [N]} (PyTorch's {@code reduction='none'}), fused and stable (log-sum-exp with the
     * row maximum subtracted, never the log of a softmax); its backward is a fused kernel too.
     *
     * @throws IllegalArgumentException before any kernel for a label outside [0, C), naming it and C
     */
    public Tensor crossEntropy(Tensor labels) {
        checkOpen();
        labels.checkOpen();
        Tensor wide = Autocast.widen(this);          // in an Autocast region the loss is F32, as torch.autocast's
        if (wide != this) return wide.crossEntropy(labels);
        checkDTypeFor("crossEntropy", false);
        checkSameDevice(labels, "crossEntropy");
        Checks.classLabels("crossEntropy", this, labels);
        if (shape[1] == 0) throw new IllegalArgumentException("crossEntropy: logits " + Shapes.str(shape) + " have no classes");
        Tensor out = empty(device, dtype(), new int[] {shape[0]});
        be().crossEntropy(strided(), labels.strided(), out.strided());
        return record("crossEntropy", out, new Tensor[] {this, null}, new Tensor[] {this, labels, out},
                new String[] {"logits", "labels", "output"}, (g, s, needs) -> new Tensor[] {crossEntropyGrad(g, s[0], s[1], s[2]), null});
    }

    /**
     * crossEntropy's gradient {@code (softmax(x) - onehot) dy} by the fused kernel. Recorded under a backward with
     * createGraph: towards dy the row sums of {@code gg (p - onehot)}, towards the logits p's Jacobian applied to
     * {@code gg dy} (softmax's own backward), with {@code p = softmax(x)} recorded.
     */
    private static Tensor crossEntropyGrad(Tensor dy, Tensor logits, Tensor labels, Tensor losses) {
        Tensor dx = empty(dy.device, dy.dtype(), logits.shape);
        dy.be().crossEntropyBackward(logits.strided(), labels.strided(), losses.strided(), dy.strided(), dx.strided());
        return recordGradient("crossEntropyBackward", dx, new Tensor[] {dy, logits}, new Tensor[] {dy, logits, labels},
                new String[] {"upstream gradient", "logits", "labels"}, (gg, sv, needs) -> {
                    Tensor p = sv[1].softmax(1);
                    return new Tensor[] {
                            needs[0] ? gg.mul(p.sub(oneHot(sv[2], sv[1]))).sum(1, false) : null,
                            needs[1] ? softmaxGrad(gg.mul(sv[0].unsqueeze(1)), p, 1, false) : null};
                });
    }

    /** One-hot rows of {@code labels} in the shape and dtype of {@code logits} {@code [N, C]}: 1 at each row's label. */
    private static Tensor oneHot(Tensor labels, Tensor logits) {
        int n = logits.shape[0], c = logits.shape[1];
        Tensor rows = zeros(logits.device, logits.dtype(), n, c);
        try (Tensor ones = full(logits.device, logits.dtype(), 1, n, 1); Tensor column = labels.reshape(n, 1)) {
            labels.be().scatterAdd(ones.strided(), 1, column.strided(), rows.strided());
        }
        return rows;
    }

    /**
     * Inverted dropout: each element is kept with probability {@code 1 - p} and scaled by {@code 1 / (1 - p)}, else
     * zeroed, so the expectation is unchanged. The mask comes from {@code rng} (which advances by numel), element
     * by element as {@link #rand} draws, so one seed zeroes the same elements on every device. The gradient is
     * {@code dy * mask}. (The {@code Dropout} module calls this only in training mode.)
     */
    public Tensor dropout(double p, Rng rng) {
        checkOpen();
        checkDTypeFor("dropout", false);
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout probability must lie in [0, 1], got " + p);
        java.util.Objects.requireNonNull(rng, "dropout needs an Rng");
        Tensor src = contiguous();
        Tensor out = empty(device, dtype(), shape), mask = empty(device, dtype(), shape);
        be().dropout(src.strided(), p, rng.seed(), rng.advance(numel()), out.strided(), mask.strided());
        if (src != this) src.close();
        Tensor result = record("dropout", out, new Tensor[] {this}, new Tensor[] {mask}, new String[] {"mask"},
                (g, sv, needs) -> new Tensor[] {g.mul(sv[0])});
        mask.close();   // the graph keeps its own handle when it saved the mask
        return result;
    }

    /**
     * One fused optimiser step on this parameter, in place and outside autograd (as PyTorch's optimisers run under
     * no_grad): {@code grad} and the used {@code state} slots (see {@link OptimizerStep#usesState}) must have this
     * tensor's shape, dtype and device; unused slots may be null. Bumps the version counter. Everything is checked
     * before the kernel runs. A non-contiguous parameter is updated through a contiguous copy.
     * {@link #optimizerStepFromGrad} steps from this leaf's own gradient.
     */
    public void optimizerStep(OptimizerStep step, Tensor grad, Tensor... state) {
        String name = "optimizer step (" + step.getClass().getSimpleName() + ")";
        checkOpen();
        checkDTypeFor(name, false);
        if (grad == null) throw new IllegalArgumentException(name + ": the parameter " + Shapes.str(shape) + " has no gradient");
        List<Tensor> operands = new ArrayList<>();
        operands.add(grad);
        if (state.length != step.stateCount()) {
            throw new IllegalArgumentException(name + " takes " + step.stateCount() + " state slots, got " + state.length);
        }
        for (int k = 0; k < state.length; k++) {
            if (step.usesState(k) && state[k] == null) throw new IllegalArgumentException(name + ": state slot " + k + " is needed but null");
            if (step.usesState(k)) operands.add(state[k]);
        }
        for (Tensor o : operands) {
            o.checkOpen();
            checkSameDevice(o, name);
            checkSameDType(o, name);
            if (!Arrays.equals(o.shape, shape)) {
                throw new IllegalArgumentException(name + ": shape " + Shapes.str(o.shape) + " differs from the parameter's " + Shapes.str(shape));
            }
            for (int d = 0; d < o.shape.length; d++) {
                if (o != grad && o.strides[d] == 0 && o.shape[d] > 1) {
                    throw new IllegalArgumentException(name + ": a state tensor " + Shapes.str(o.shape) + " is an expanded view");
                }
            }
        }
        try (var off = GradMode.enter(false)) {
            Tensor p = contiguous(), g = grad.contiguous();
            Strided[] slots = new Strided[state.length];
            Tensor[] dense = new Tensor[state.length];
            for (int k = 0; k < state.length; k++) {
                if (!step.usesState(k)) continue;
                dense[k] = state[k].contiguous();
                slots[k] = dense[k].strided();
            }
            be().optimizerStep(step, p.strided(), g.strided(), slots);
            if (p != this) { be().copy(p.strided(), strided()); p.close(); }
            if (g != grad) g.close();
            for (int k = 0; k < state.length; k++) {
                if (dense[k] != null && dense[k] != state[k]) {
                    be().copy(dense[k].strided(), state[k].strided());
                    dense[k].close();
                    state[k].storage.bumpVersion();
                } else if (dense[k] != null) {
                    state[k].storage.bumpVersion();
                }
            }
        }
        storage.bumpVersion();
        if (GradMode.anomalyDetection() && !allFinite()) {
            throw new IllegalStateException("anomaly: " + name + " produced NaN or Inf in a parameter " + Shapes.str(shape));
        }
    }

    /** {@link #optimizerStep} from this leaf's own gradient, without handing it out as {@link #grad()} does (optimisers use this). */
    public void optimizerStepFromGrad(OptimizerStep step, Tensor... state) {
        optimizerStep(step, grad, state);
    }

    public Tensor softmax(int dim) { return softmax(dim, false); }
    public Tensor logSoftmax(int dim) { return softmax(dim, true); }

    private Tensor softmax(int dim, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        checkOpen();
        checkDTypeFor(name, false);
        int d = Shapes.dim(dim, shape.length, name);
        Tensor out = empty(device, dtype(), shape);
        be().softmax(strided(), d, log, out.strided());
        return record(name, out, new Tensor[] {this}, new Tensor[] {out}, new String[] {"output"},
                (g, s, needs) -> new Tensor[] {softmaxGrad(g, s[0], d, log)});
    }

    /**
     * softmax's (log-softmax's) gradient from its saved output y by the fused kernel: {@code y (dy - sum(dy y))}
     * ({@code dy - e^y sum(dy)}). Recorded under a backward with createGraph: linear in dy (this kernel again), and
     * towards y {@code gg (dy - sum(dy y)) - dy sum(gg y)} ({@code -gg e^y sum(dy)}).
     */
    private static Tensor softmaxGrad(Tensor dy, Tensor y, int d, boolean log) {
        Tensor dx = empty(dy.device, dy.dtype(), dy.shape);
        dy.be().softmaxBackward(y.strided(), dy.strided(), d, log, dx.strided());
        return recordGradient(log ? "logSoftmaxBackward" : "softmaxBackward", dx, new Tensor[] {dy, y}, new Tensor[] {dy, y}, GRAD_ROLES,
                (gg, sv, needs) -> {
                    Tensor g = sv[0], out = sv[1], towardsY = null;
                    if (needs[1]) {
                        towardsY = log ? gg.mul(out.exp()).mul(g.sum(d, true)).neg()
                                : gg.mul(g.sub(g.mul(out).sum(d, true))).sub(g.mul(gg.mul(out).sum(d, true)));
                    }
                    return new Tensor[] {needs[0] ? softmaxGrad(gg, out, d, log) : null, towardsY};
                });
    }

    // =====================================================================================================
    // Checks
    // =====================================================================================================

    private Backend be() {
        return device.implementation();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this tensor " + Shapes.str(shape) + " " + dtype() + " on " + device
                    + " was closed (explicitly or by its Scope) and cannot be used");
        }
    }

    private void checkSameDevice(Tensor o, String op) {
        if (o.device != device) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: " + device + " " + Shapes.str(shape)
                    + " and " + o.device + " " + Shapes.str(o.shape) + " (move one with to(Device))");
        }
    }

    private void checkSameDType(Tensor o, String op) {
        if (o.dtype() != dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ: " + dtype() + " " + Shapes.str(shape) + " and "
                    + o.dtype() + " " + Shapes.str(o.shape) + " (convert one with to(DType))");
        }
    }

    private void checkDTypeFor(String op, boolean integerAllowed) {
        if (!integerAllowed && !dtype().isFloating()) {
            throw new IllegalArgumentException(op + " needs a floating-point tensor (F32 or F64), got " + dtype() + " " + Shapes.str(shape));
        }
    }
}
