package dev.graft.models.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Parses an option whose value is one word of a fixed set, naming the set when it is not. */
final class Choices {
    private Choices() {
    }

    /** The constant of {@code type} spelled {@code value} (case-insensitive, '-' for '_'). */
    static <E extends Enum<E>> E parse(String option, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().replace('_', '-').equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new IllegalArgumentException(option + ": '" + value + "' is not one of " + Arrays.stream(
                type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
    }

    static String oneOf(String option, String value, String... allowed) {
        if (!List.of(allowed).contains(value)) {
            throw new IllegalArgumentException(option + ": '" + value + "' is not one of " + List.of(allowed));
        }
        return value;
    }
}
