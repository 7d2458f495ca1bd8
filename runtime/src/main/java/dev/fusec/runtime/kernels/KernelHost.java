package dev.fusec.runtime.kernels;

import java.lang.invoke.MethodHandles;

/**
 * The package generated kernels are compiled into. Hidden classes are defined through this class's
 * lookup, so they live here, see the runtime's public types, and can be unloaded with their graph.
 */
public final class KernelHost {
    private KernelHost() {}

    /** The package every generated kernel class declares. */
    public static final String PACKAGE = KernelHost.class.getPackageName();

    static MethodHandles.Lookup lookup() {
        return MethodHandles.lookup();
    }

    /** Defines {@code bytes} as a hidden class in this package and returns a new instance of it. */
    public static Object instantiate(byte[] bytes) throws ReflectiveOperationException {
        MethodHandles.Lookup hidden = lookup().defineHiddenClass(bytes, true);
        try {
            return hidden.findConstructor(hidden.lookupClass(), java.lang.invoke.MethodType.methodType(void.class)).invoke();
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new ReflectiveOperationException(t);
        }
    }
}
