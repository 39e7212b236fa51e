// Vectorised float-array primitives for the parts of the forward pass outside the weight products (attention).
package io.puhui.engine.tensor;

import jdk.incubator.vector.FloatVector;

public final class VectorMath {
    private VectorMath() {
    }

    /** Dot product of {@code a[ao..ao+n)} and {@code b[bo..bo+n)}. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return DotKernels.dot(a, ao, b, bo, n);
    }

    /** {@code y[yo..yo+n) += alpha * x[xo..xo+n)}. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (DotKernels.VECTOR) {
            FloatVector a = FloatVector.broadcast(DotKernels.F, alpha);
            for (; i <= n - DotKernels.L; i += DotKernels.L) {
                FloatVector.fromArray(DotKernels.F, x, xo + i).fma(a, FloatVector.fromArray(DotKernels.F, y, yo + i))
                        .intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }
}
