package dev.graft.weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A Python tuple from a pickle. Kept apart from lists (plain {@link java.util.ArrayList}s) because pickle only
 * accepts tuples as call arguments and persistent ids. Items may be null (Python's None).
 */
record PyTuple(List<Object> items) {

    static PyTuple of(Object... items) {
        return new PyTuple(Collections.unmodifiableList(Arrays.asList(items)));
    }

    /** A tuple of a snapshot of {@code items} (List.copyOf would reject None). */
    static PyTuple copyOf(List<Object> items) {
        return new PyTuple(Collections.unmodifiableList(new ArrayList<>(items)));
    }

    int size() {
        return items.size();
    }

    Object get(int i) {
        return items.get(i);
    }
}
