package dev.graft.engine;

import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.engine.safetensors.SafetensorsFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reader for the case-structured safetensors fixtures under {@code fixtures/optim/} on the test classpath, written
 * by {@code engine/src/test/fixtures/make_optim_fixtures.py}; that script's docstring defines the layout (a
 * metadata entry {@code NAME -> "KEY=VALUE ..."} per case, the case's tensors named {@code NAME/TENSOR}).
 * Public because the optimizer tests in {@code dev.graft.engine.optim} share it.
 */
public final class SafetensorsCases {
    private static final String DIR = "/fixtures/optim/";
    /** Metadata entries that describe the file rather than a case. */
    private static final Set<String> FILE_ENTRIES = Set.of("source", "torch");

    private final Map<String, Case> cases;
    private final Map<String, Tensor> shared;

    private SafetensorsCases(Map<String, Case> cases, Map<String, Tensor> shared) {
        this.cases = cases;
        this.shared = shared;
    }

    /** One case: its arguments as written by the script and its tensors, named without the case prefix. */
    public record Case(String name, Map<String, String> args, Map<String, Tensor> tensors) {

        public String arg(String key) {
            String v = args.get(key);
            if (v == null) {
                throw new IllegalArgumentException(name + ": fixture has no argument '" + key + "'");
            }
            return v;
        }

        public boolean has(String key) {
            return args.containsKey(key);
        }

        public double real(String key) {
            return Double.parseDouble(arg(key));
        }

        public int integer(String key) {
            return Integer.parseInt(arg(key));
        }

        public boolean flag(String key) {
            return switch (arg(key)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(name + ": argument " + key + "=" + arg(key)
                        + " is not a boolean");
            };
        }

        public Tensor tensor(String key) {
            Tensor t = tensors.get(key);
            if (t == null) {
                throw new IllegalArgumentException(name + ": fixture has no tensor '" + key + "'");
            }
            return t;
        }
    }

    /**
     * The resource as a file SafetensorsFile can map: itself in a source tree, a temporary copy when it comes
     * from a jar (the packed GPU check runs the suites from the engine's test-jar).
     */
    private static Path localFile(URL url, String file) throws IOException, URISyntaxException {
        if ("file".equals(url.getProtocol())) {
            return Path.of(url.toURI());
        }
        Path copy = Files.createTempFile("graft-fixture-", "-" + file);
        copy.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    /** Reads {@code file} from {@code fixtures/optim/}. */
    public static SafetensorsCases load(String file) {
        URL url = SafetensorsCases.class.getResource(DIR + file);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + DIR + file
                    + "; run engine/src/test/fixtures/make_optim_fixtures.py");
        }
        try (SafetensorsFile f = SafetensorsFile.open(localFile(url, file))) {
            Map<String, Case> cases = new LinkedHashMap<>();
            f.metadata().forEach((name, spec) -> {
                if (!FILE_ENTRIES.contains(name)) {
                    cases.put(name, new Case(name, parseArgs(name, spec), new LinkedHashMap<>()));
                }
            });
            Map<String, Tensor> shared = new LinkedHashMap<>();
            for (var e : f.tensors().entrySet()) {
                int slash = e.getKey().indexOf('/');
                Case c = slash < 0 ? null : cases.get(e.getKey().substring(0, slash));
                if (c == null) {
                    shared.put(e.getKey(), e.getValue());
                } else {
                    c.tensors().put(e.getKey().substring(slash + 1), e.getValue());
                }
            }
            return new SafetensorsCases(Collections.unmodifiableMap(cases), Collections.unmodifiableMap(shared));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SafetensorsFormatException | URISyntaxException e) {
            throw new IllegalStateException(DIR + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> parseArgs(String name, String spec) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String field : spec.split(" ")) {
            int eq = field.indexOf('=');
            if (eq < 1) {
                throw new IllegalStateException(name + ": argument is not KEY=VALUE: '" + field + "' in '" + spec + "'");
            }
            args.put(field.substring(0, eq), field.substring(eq + 1));
        }
        return Collections.unmodifiableMap(args);
    }

    public Map<String, Case> cases() {
        return cases;
    }

    public Case get(String name) {
        Case c = cases.get(name);
        if (c == null) {
            throw new IllegalArgumentException("fixture has no case '" + name + "'; cases are " + cases.keySet());
        }
        return c;
    }

    /** The tensors shared by the file's cases whose names start with {@code prefix}, named without it. */
    public Map<String, Tensor> shared(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        shared.forEach((k, t) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), t);
            }
        });
        return out;
    }

    /** The shared tensor called {@code name}. */
    public Tensor sharedTensor(String name) {
        Tensor t = shared.get(name);
        if (t == null) {
            throw new IllegalArgumentException("fixture has no shared tensor '" + name + "'");
        }
        return t;
    }
}
