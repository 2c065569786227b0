package dev.graft.kernels;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The directories {@link CudaLibraries} searches, in order, and which of them the dynamic loader searches by
 * itself. Order: LD_LIBRARY_PATH, then {@code graft.cuda.path} (or GRAFT_CUDA_PATH), the system library
 * directories, the directories of /etc/ld.so.conf, the CUDA toolkits under /usr/local, and the {@code nvidia/*}
 * packages pip installs (PyTorch's CUDA libraries live there). System paths are resolved under {@code root}
 * so tests can point the whole search at a fake tree.
 */
record LibrarySearchPath(List<Location> locations, Set<Path> loaderDirectories) {

    /** One origin of directories: each pattern (a path, possibly with * segments) and what it matched. */
    record Location(String origin, List<Entry> entries) {

        List<Path> directories() {
            return entries.stream().flatMap(e -> e.matches().stream()).toList();
        }

        String describe() {
            if (entries.isEmpty()) {
                return origin + ": (unset)";
            }
            return origin + ": " + entries.stream().map(Entry::describe).collect(Collectors.joining(", "));
        }
    }

    record Entry(String pattern, List<Path> matches) {

        String describe() {
            if (matches.isEmpty()) {
                return pattern + (pattern.contains("*") ? " (no match)" : " (absent)");
            }
            if (matches.size() == 1 && matches.getFirst().toString().equals(pattern)) {
                return pattern;
            }
            return pattern + " = " + matches.stream().map(Path::toString).collect(Collectors.joining(" "));
        }
    }

    static final String PROPERTY = "graft.cuda.path";
    static final String ENVIRONMENT = "GRAFT_CUDA_PATH";

    private static final List<String> SYSTEM = List.of("usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/lib/wsl/lib");
    // The loader's built-in directories (glibc, x86-64), which it searches without any configuration.
    private static final List<String> LOADER_DEFAULTS =
            List.of("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib");
    private static final List<String> TOOLKITS = List.of("usr/local/cuda/lib64", "usr/local/cuda-*/lib64");
    private static final String PIP = "lib/python3*/site-packages/nvidia/*/lib";
    private static final List<String> SYSTEM_PIP = List.of(
            "usr/local/lib/python3*/dist-packages/nvidia/*/lib", "usr/local/lib/python3*/site-packages/nvidia/*/lib",
            "usr/lib/python3/dist-packages/nvidia/*/lib", "opt/conda/" + PIP);

    /** The search path of this process: its environment, system properties, home directory and root. */
    static LibrarySearchPath ofThisProcess() {
        return of(System.getenv(), System.getProperty(PROPERTY), Path.of("/"), Path.of(System.getProperty("user.home")));
    }

    /**
     * @param env the environment (LD_LIBRARY_PATH, GRAFT_CUDA_PATH, VIRTUAL_ENV, CONDA_PREFIX are read)
     * @param property the value of {@code graft.cuda.path}, or null; it takes precedence over GRAFT_CUDA_PATH
     */
    static LibrarySearchPath of(Map<String, String> env, String property, Path root, Path home) {
        List<Location> locations = new ArrayList<>();
        locations.add(new Location("LD_LIBRARY_PATH", listed(env.get("LD_LIBRARY_PATH"))));
        if (property != null) {
            locations.add(new Location(PROPERTY, listed(property)));
        } else {
            locations.add(new Location(ENVIRONMENT, listed(env.get(ENVIRONMENT))));
        }
        locations.add(new Location("system", SYSTEM.stream().map(p -> expand(root, p)).toList()));
        List<Entry> configured = loaderConfiguration(root).stream().map(p -> expand(root, p)).toList();
        locations.add(new Location("/etc/ld.so.conf", configured));
        locations.add(new Location("CUDA toolkit", TOOLKITS.stream().map(p -> expand(root, p)).toList()));
        List<Entry> pip = new ArrayList<>();
        for (String variable : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String prefix = env.get(variable);
            if (prefix != null && !prefix.isBlank()) {
                pip.add(expand(Path.of(prefix), PIP));
            }
        }
        pip.add(expand(home, ".local/" + PIP));
        SYSTEM_PIP.forEach(p -> pip.add(expand(root, p)));
        locations.add(new Location("pip packages", pip));

        Set<Path> loader = new HashSet<>();
        locations.getFirst().directories().forEach(d -> loader.add(canonical(d)));
        configured.forEach(e -> e.matches().forEach(d -> loader.add(canonical(d))));
        LOADER_DEFAULTS.forEach(d -> loader.add(canonical(root.resolve(d))));
        return new LibrarySearchPath(List.copyOf(locations), Set.copyOf(loader));
    }

    /** Every directory to search, in order, each once. */
    List<Path> directories() {
        Set<Path> seen = new LinkedHashSet<>();
        locations.forEach(l -> seen.addAll(l.directories()));
        return List.copyOf(seen);
    }

    /** Whether the dynamic loader finds a library in {@code directory} by name, without being given a path. */
    boolean loaderSearches(Path directory) {
        return loaderDirectories.contains(canonical(directory));
    }

    String describe() {
        return locations.stream().map(l -> "  " + l.describe()).collect(Collectors.joining("\n"));
    }

    static Path canonical(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    /** Entries of a colon-separated list such as LD_LIBRARY_PATH; empty entries are skipped. */
    private static List<Entry> listed(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split(":")).filter(s -> !s.isBlank())
                .map(s -> new Entry(s, Files.isDirectory(Path.of(s)) ? List.of(Path.of(s)) : List.of()))
                .toList();
    }

    /** Directories named by /etc/ld.so.conf and the files it includes (relative to {@code root}). */
    private static List<String> loaderConfiguration(Path root) {
        List<String> directories = new ArrayList<>();
        readConfiguration(root, root.resolve("etc/ld.so.conf"), directories, new HashSet<>());
        return directories;
    }

    private static void readConfiguration(Path root, Path file, List<String> directories, Set<Path> read) {
        if (!Files.isRegularFile(file) || !read.add(file.toAbsolutePath().normalize())) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return; // an unreadable loader configuration only means fewer directories to search
        }
        for (String raw : lines) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.startsWith("include ")) {
                String pattern = line.substring("include ".length()).strip();
                String relative = pattern.startsWith("/") ? pattern.substring(1) : "etc/" + pattern;
                for (Path included : expand(root, relative).matches()) {
                    readConfiguration(root, included, directories, read);
                }
            } else if (line.startsWith("/")) {
                directories.add(line.substring(1));
            }
        }
    }

    /**
     * The existing paths under {@code base} that {@code relative} names; a segment with {@code *} matches
     * directory entries by glob. Matches come sorted by name; the first directory holding a library wins.
     */
    static Entry expand(Path base, String relative) {
        List<Path> current = List.of(base);
        for (String segment : relative.split("/")) {
            List<Path> next = new ArrayList<>();
            for (Path dir : current) {
                if (segment.contains("*")) {
                    next.addAll(matching(dir, segment));
                } else if (Files.exists(dir.resolve(segment))) {
                    next.add(dir.resolve(segment));
                }
            }
            current = next;
        }
        return new Entry(base.resolve(relative).toString(), current);
    }

    private static List<Path> matching(Path dir, String glob) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
            List<Path> found = new ArrayList<>();
            entries.forEach(found::add);
            found.sort(null);
            return found;
        } catch (IOException e) {
            return List.of(); // an unreadable directory holds nothing this search can use
        }
    }
}
