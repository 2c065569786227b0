package dev.graft.kernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The parameter kinds of every {@code extern "C"} kernel in src/main/cuda, read from the sources after expanding
 * their {@code #define} macros (object-like and function-like, one level, as the sources use them), so that
 * launches can be checked against what the kernels take without a GPU.
 */
final class KernelSignatures {
    enum Kind { VIEW, POINTER, LONG, INT, FLOAT, DOUBLE }

    private static final Path CUDA = Path.of("src/main/cuda").toAbsolutePath();
    private static final Pattern DEFINE = Pattern.compile("#define\\s+(\\w+)(\\(([^)]*)\\))?\\s+(.*)");
    private static final Pattern ENTRY =
            Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

    private KernelSignatures() {
    }

    static Map<String, List<Kind>> read() {
        List<String> sources = new ArrayList<>();
        try (Stream<Path> files = Files.list(CUDA)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".cu")).sorted().toList()) {
                sources.add(Files.readString(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, List<Kind>> out = new LinkedHashMap<>();
        for (String source : sources) {
            String expanded = expand(source.replace("\\\n", " "));
            Matcher m = ENTRY.matcher(expanded);
            while (m.find()) {
                List<Kind> kinds = new ArrayList<>();
                for (String param : m.group(2).split(",")) {
                    kinds.add(kind(param.strip(), m.group(1)));
                }
                out.put(m.group(1), kinds);
            }
        }
        return out;
    }

    private static Kind kind(String param, String entry) {
        if (param.contains("View")) {
            return Kind.VIEW;
        }
        if (param.contains("*")) {
            return Kind.POINTER;
        }
        if (param.startsWith("long long")) {
            return Kind.LONG;
        }
        if (param.startsWith("int ")) {
            return Kind.INT;
        }
        if (param.startsWith("float ")) {
            return Kind.FLOAT;
        }
        if (param.startsWith("double ")) {
            return Kind.DOUBLE;
        }
        throw new IllegalStateException(entry + ": unrecognised parameter '" + param + "'");
    }

    /** Removes the #define lines and expands their uses. */
    private static String expand(String source) {
        Map<String, String[]> functionLike = new LinkedHashMap<>();
        Map<String, String> objectLike = new LinkedHashMap<>();
        StringBuilder rest = new StringBuilder();
        for (String line : source.split("\n")) {
            Matcher d = DEFINE.matcher(line.strip());
            if (d.matches() && line.strip().startsWith("#define")) {
                if (d.group(2) != null) {
                    functionLike.put(d.group(1), new String[] {d.group(3), d.group(4)});
                } else {
                    objectLike.put(d.group(1), d.group(4));
                }
            } else {
                rest.append(line).append('\n');
            }
        }
        String text = rest.toString();
        for (Map.Entry<String, String> e : objectLike.entrySet()) {
            text = text.replaceAll("\\b" + e.getKey() + "\\b", Matcher.quoteReplacement(e.getValue()));
        }
        for (Map.Entry<String, String[]> e : functionLike.entrySet()) {
            String[] params = e.getValue()[0].split(",");
            Matcher use = Pattern.compile("\\b" + e.getKey() + "\\(([^)]*)\\)").matcher(text);
            StringBuilder out = new StringBuilder();
            while (use.find()) {
                String[] args = use.group(1).split(",");
                String body = e.getValue()[1];
                for (int i = 0; i < params.length; i++) {
                    String arg = Matcher.quoteReplacement(args[i].strip());
                    body = body.replaceAll("\\b" + params[i].strip() + "\\b", arg);
                }
                use.appendReplacement(out, Matcher.quoteReplacement(body));
            }
            use.appendTail(out);
            text = out.toString();
        }
        return text;
    }
}
