package dev.fusec.codegen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.fusec.runtime.KernelSource;
import dev.fusec.runtime.kernels.KernelHost;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * Assembles one kernel class with JavaPoet: a header comment, the species and shape constants, the
 * {@code run} entry point, optional packing, and private static helpers. Generators fill it in.
 */
final class KernelClass {
    private static final ClassName KERNEL = ClassName.get("dev.fusec.runtime", "Kernel");
    private static final ClassName PARALLEL = JavaText.TYPES.get("Parallel");
    private static final TypeName FLOATS = ArrayTypeName.of(TypeName.FLOAT);

    private final String name;
    private final Species species;
    private final List<String> header = new ArrayList<>();
    private final Map<String, String> constants = new LinkedHashMap<>();
    private final List<MethodSpec> helpers = new ArrayList<>();
    private final List<FieldSpec> fields = new ArrayList<>();
    private String runBody = "";
    private int[] prepared = new int[0];
    private int[] preparedFrom = new int[0];
    private String prepareBody;

    KernelClass(String name, Species species) {
        this.name = name;
        this.species = species;
        constant("L", Integer.toString(species.lanes()));
    }

    String name() {
        return name;
    }

    int lanes() {
        return species.lanes();
    }

    KernelClass header(String line) {
        header.add(line);
        return this;
    }

    /** A {@code static final int} (or other primitive, by the value's spelling) constant. */
    KernelClass constant(String constName, String value) {
        constants.put(constName, value);
        return this;
    }

    /** A {@code private static final} field of a vector type, initialised by Java text. */
    KernelClass field(String type, String fieldName, String init) {
        fields.add(FieldSpec.builder(type(type), fieldName, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer(JavaText.expression(init)).build());
        return this;
    }

    KernelClass run(String body) {
        runBody = body;
        return this;
    }

    /**
     * Operands the executor passes through {@code prepare} first, the operands each is made from, and
     * the body of that method (it sees {@code operand}, {@code operands} and {@code par}).
     */
    KernelClass prepare(int[] operands, int[] from, String body) {
        prepared = operands.clone();
        preparedFrom = from.clone();
        prepareBody = body;
        return this;
    }

    /** A private static helper; {@code params} like {@code "float[] a", "int off", "VectorMask<Float> m"}. */
    KernelClass helper(String returns, String methodName, List<String> params, String body) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(methodName)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(type(returns));
        for (String p : params) {
            int space = p.lastIndexOf(' ');
            m.addParameter(type(p.substring(0, space)), p.substring(space + 1));
        }
        helpers.add(m.addCode(JavaText.code(body)).build());
        return this;
    }

    private static TypeName type(String spelled) {
        return switch (spelled) {
            case "void" -> TypeName.VOID;
            case "int" -> TypeName.INT;
            case "float" -> TypeName.FLOAT;
            case "float[]" -> FLOATS;
            case "float[][]" -> ArrayTypeName.of(FLOATS);
            case "FloatVector" -> JavaText.TYPES.get("FloatVector");
            case "VectorMask<Float>" -> ParameterizedTypeName.get(JavaText.TYPES.get("VectorMask"), ClassName.get(Float.class));
            case "VectorShuffle<Float>" -> ParameterizedTypeName.get(JavaText.TYPES.get("VectorShuffle"), ClassName.get(Float.class));
            default -> throw new IllegalArgumentException("no generator type " + spelled);
        };
    }

    private static String intList(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    }

    KernelSource build() {
        TypeSpec.Builder t = TypeSpec.classBuilder(name)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(KERNEL)
                .addJavadoc(String.join("\n", header).replace("$", "$$") + "\n");
        t.addField(FieldSpec.builder(ParameterizedTypeName.get(JavaText.TYPES.get("VectorSpecies"), ClassName.get(Float.class)), "S",
                        Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer("$T.$L", JavaText.TYPES.get("FloatVector"), species.constant()).build());
        constants.forEach((k, v) -> {
            // Float literals end in f; a bound beyond the float range is spelled Float.POSITIVE_INFINITY.
            TypeName type = v.equals("true") || v.equals("false") ? TypeName.BOOLEAN
                    : v.endsWith("f") || v.startsWith("Float.") ? TypeName.FLOAT : TypeName.INT;
            t.addField(FieldSpec.builder(type, k, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer("$L", v).build());
        });
        fields.forEach(t::addField);
        t.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).build());
        t.addMethod(MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(ArrayTypeName.of(FLOATS), "args").addParameter(ArrayTypeName.of(TypeName.INT), "sym")
                .addParameter(PARALLEL, "par").addCode(JavaText.code(runBody)).build());
        if (prepareBody != null) {
            t.addMethod(MethodSpec.methodBuilder("preparedOperands").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(ArrayTypeName.of(TypeName.INT)).addStatement("return new int[] {$L}", intList(prepared)).build());
            if (!Arrays.equals(prepared, preparedFrom)) {
                t.addMethod(MethodSpec.methodBuilder("preparedFrom").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                        .returns(ArrayTypeName.of(TypeName.INT)).addParameter(TypeName.INT, "operand")
                        .addStatement("return new int[] {$L}", intList(preparedFrom)).build());
            }
            // Operands come as arrays, or as a checkpoint's tensors read in place (stored[i], then operands[i] is null).
            t.addMethod(MethodSpec.methodBuilder("prepare").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(FLOATS).addParameter(TypeName.INT, "operand").addParameter(ArrayTypeName.of(FLOATS), "operands")
                    .addParameter(ArrayTypeName.of(JavaText.TYPES.get("StoredTensor")), "stored")
                    .addParameter(PARALLEL, "par").addCode(JavaText.code(prepareBody)).build());
        }
        helpers.forEach(t::addMethod);
        String source = JavaFile.builder(KernelHost.PACKAGE, t.build())
                .addFileComment("Generated by fusec. Do not edit: regenerate with `fusec emit`.")
                .skipJavaLangImports(true)
                .indent("    ")
                .build().toString();
        return new KernelSource(name, source);
    }
}
