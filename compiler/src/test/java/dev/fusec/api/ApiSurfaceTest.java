package dev.fusec.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public surface stays small and closed: what {@code dev.fusec.api} exposes names only its own
 * types and the JDK's (an internal type in a public signature would make it API by accident), and
 * every other package says it is internal.
 */
class ApiSurfaceTest {
    static final List<Class<?>> API = List.of(FusecGraph.class, FusecGraph.Builder.class, FusecGraph.FuseOptions.class,
            Fusion.class, Fusion.AfterPass.class, Fusion.Site.class, CompiledModel.class, CompiledModel.KernelInfo.class,
            CompileOptions.class, Backend.class, Outputs.class, Outputs.Step.class, Outputs.Memory.class, Tensor.class, TensorSpec.class,
            Mode.class, FusecException.class, Weights.class);

    @Test
    void publicSignaturesNameOnlyApiAndJdkTypes() {
        List<String> leaks = new ArrayList<>();
        for (Class<?> c : API) {
            assertTrue(Modifier.isPublic(c.getModifiers()), c + " is listed but not public");
            List<Executable> members = new ArrayList<>(List.of(c.getDeclaredMethods()));
            members.addAll(List.of(c.getDeclaredConstructors()));
            for (Executable m : members) {
                if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) {
                    continue;
                }
                List<Type> types = new ArrayList<>(List.of(m.getGenericParameterTypes()));
                if (m instanceof Method method) {
                    types.add(method.getGenericReturnType());
                }
                types.addAll(List.of(m.getGenericExceptionTypes()));
                for (Type t : types) {
                    checkType(c.getSimpleName() + "." + m.getName(), t, leaks);
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isPublic(f.getModifiers())) {
                    checkType(c.getSimpleName() + "." + f.getName(), f.getGenericType(), leaks);
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    private static void checkType(String where, Type t, List<String> leaks) {
        switch (t) {
            case Class<?> c when c.isArray() -> checkType(where, c.getComponentType(), leaks);
            case Class<?> c -> {
                String name = c.getName();
                boolean ok = c.isPrimitive() || name.startsWith("java.") || name.startsWith("dev.fusec.api.");
                if (!ok) {
                    leaks.add(where + " names " + name);
                }
            }
            case ParameterizedType p -> {
                checkType(where, p.getRawType(), leaks);
                for (Type a : p.getActualTypeArguments()) {
                    checkType(where, a, leaks);
                }
            }
            case WildcardType w -> {
                for (Type b : w.getUpperBounds()) {
                    checkType(where, b, leaks);
                }
            }
            default -> { }
        }
    }

    @Test
    void everyPublicClassOfTheApiPackageIsListed() throws IOException {
        Path src = Path.of(System.getProperty("basedir", ".")).resolve("src/main/java/dev/fusec/api");
        try (Stream<Path> files = Files.list(src)) {
            List<String> declared = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".java") && !n.equals("package-info.java"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList();
            List<String> listed = API.stream().filter(c -> c.getEnclosingClass() == null).map(Class::getSimpleName).sorted().toList();
            assertEquals(declared, listed);
        }
    }

    @Test
    void everyOtherPackageSaysItIsInternal() throws IOException {
        Path root = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
        List<String> unmarked = new ArrayList<>();
        for (String module : List.of("compiler", "runtime")) {
            Path java = root.resolve(module).resolve("src/main/java");
            try (Stream<Path> dirs = Files.walk(java)) {
                for (Path d : dirs.filter(Files::isDirectory).toList()) {
                    boolean hasClasses;
                    try (Stream<Path> f = Files.list(d)) {
                        hasClasses = f.anyMatch(p -> p.toString().endsWith(".java"));
                    }
                    if (!hasClasses || d.endsWith("api")) {
                        continue;
                    }
                    Path info = d.resolve("package-info.java");
                    if (!Files.exists(info) || !Files.readString(info).contains("Internal to fusec")) {
                        unmarked.add(java.relativize(d).toString());
                    }
                }
            }
        }
        assertEquals(List.of(), unmarked);
    }
}
