package dev.graft.engine.nn;

import java.util.regex.Pattern;

/**
 * Glob patterns over dotted parameter names: {@code *} matches within one segment, {@code **} across
 * segments. A whole {@code **} segment followed by a dot also matches zero segments, so {@code **.bn1.weight}
 * finds a top-level {@code bn1.weight} as well as {@code layer1.0.bn1.weight}.
 */
final class Glob {
    private Glob() {
    }

    static Pattern compile(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("glob: pattern must be non-empty, got '" + glob + "'");
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (c != '*') {
                literal.append(c);
                i++;
                continue;
            }
            if (!literal.isEmpty()) {
                regex.append(Pattern.quote(literal.toString()));
                literal.setLength(0);
            }
            if (!glob.startsWith("**", i)) {
                regex.append("[^.]*");
                i++;
            } else if ((i == 0 || glob.charAt(i - 1) == '.') && glob.startsWith("**.", i)) {
                regex.append("(?:.*\\.)?");
                i += 3;
            } else {
                regex.append(".*");
                i += 2;
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString());
    }
}
