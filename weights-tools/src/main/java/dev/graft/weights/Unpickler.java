package dev.graft.weights;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Interprets the subset of the pickle protocol (versions 2 to 5) that {@code torch.save} emits for state dicts
 * and plain values. It never imports or instantiates anything by itself: a GLOBAL is handed to {@link Globals},
 * which either returns an allow-listed stand-in or refuses, and REDUCE/NEWOBJ may only call what it returned.
 *
 * <p>Python values map to: None → null, bool → Boolean, int → Long (BigInteger beyond 64 bits),
 * float → Double, str → String, bytes → byte[], tuple → {@link PyTuple}, list → ArrayList,
 * dict → LinkedHashMap (insertion-ordered, like Python's dicts). Dict keys must be scalars: state dicts
 * use strings and optimizer states ints, and a scalar key cannot make hashing recurse through a forged cycle.
 */
final class Unpickler {

    /** Resolves GLOBAL and STACK_GLOBAL; refuses (throws) anything not on the caller's allow-list. */
    interface Globals {
        Object resolve(String module, String name) throws CheckpointFormatException;
    }

    /** What BINPERSID turns a persistent id into (torch's storages). */
    interface PersistentLoader {
        Object load(Object pid) throws CheckpointFormatException;
    }

    /** An allow-listed global that REDUCE or NEWOBJ may call. */
    interface PyCallable {
        Object call(PyTuple args) throws CheckpointFormatException;
    }

    private static final int HIGHEST_PROTOCOL = 5;

    private final ByteCursor in;
    private final Globals globals;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    // Keyed, not indexed: a forged LONG_BINPUT index must not size an array.
    private final Map<Long, Object> memo = new HashMap<>();

    /** {@code persistent} may be null for pickles that must not contain persistent ids. */
    Unpickler(ByteCursor in, Globals globals, PersistentLoader persistent) {
        this.in = in;
        this.globals = globals;
        this.persistent = persistent;
    }

    /** Reads one pickle, up to and including its STOP, leaving the cursor just after it. */
    Object load() throws CheckpointFormatException {
        while (true) {
            int at = in.position();
            int op = in.u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = in.u8();
                    if (version > HIGHEST_PROTOCOL) {
                        throw in.error("unsupported pickle protocol " + version);
                    }
                }
                case 0x95 -> in.require(in.i64()); // FRAME: only announces how many bytes the next opcodes take
                case '.' -> { // STOP
                    return pop("STOP");
                }
                case '(' -> marks.add(stack.size()); // MARK
                case '0' -> pop("POP");
                case '1' -> popMark("POP_MARK");
                case '2' -> push(peek("DUP"));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.i32()); // BININT
                case 'K' -> push((long) in.u8()); // BININT1
                case 'M' -> push((long) in.u16()); // BININT2
                case 0x8a -> push(littleEndianInt(in.u8())); // LONG1
                case 0x8b -> push(littleEndianInt(in.i32())); // LONG4
                case 'G' -> push(in.f64BigEndian()); // BINFLOAT
                case 'X' -> push(in.utf8(in.u32())); // BINUNICODE
                case 0x8c -> push(in.utf8(in.u8())); // SHORT_BINUNICODE
                case 0x8d -> push(in.utf8(in.i64())); // BINUNICODE8
                // Python 2 str; torch.load decodes it as UTF-8 by default.
                case 'T' -> push(in.utf8(in.i32())); // BINSTRING
                case 'U' -> push(in.utf8(in.u8())); // SHORT_BINSTRING
                case 'B' -> push(in.bytes(in.u32())); // BINBYTES
                case 'C' -> push(in.bytes(in.u8())); // SHORT_BINBYTES
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(PyTuple.of()); // EMPTY_TUPLE
                case 't' -> push(PyTuple.copyOf(popMark("TUPLE"))); // TUPLE
                case 0x85 -> push(tupleOfTop(1));
                case 0x86 -> push(tupleOfTop(2));
                case 0x87 -> push(tupleOfTop(3));
                case 'l' -> push(new ArrayList<>(popMark("LIST"))); // LIST
                case 'd' -> { // DICT
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    putPairs("DICT", dict, popMark("DICT"));
                    push(dict);
                }
                case 'a' -> { // APPEND
                    Object value = pop("APPEND");
                    list("APPEND", peek("APPEND")).add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark("APPENDS");
                    list("APPENDS", peek("APPENDS")).addAll(items);
                }
                case 's' -> { // SETITEM
                    Object value = pop("SETITEM");
                    Object key = pop("SETITEM");
                    dict("SETITEM", peek("SETITEM")).put(key(key), value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> pairs = popMark("SETITEMS");
                    putPairs("SETITEMS", dict("SETITEMS", peek("SETITEMS")), pairs);
                }
                case 'q' -> memo.put((long) in.u8(), peek("BINPUT"));
                case 'r' -> memo.put(in.u32(), peek("LONG_BINPUT"));
                case 0x94 -> memo.put((long) memo.size(), peek("MEMOIZE"));
                case 'h' -> push(memoGet(in.u8()));
                case 'j' -> push(memoGet(in.u32()));
                case 'c' -> { // GLOBAL
                    String module = in.line();
                    push(globals.resolve(module, in.line()));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop("STACK_GLOBAL");
                    Object module = pop("STACK_GLOBAL");
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw in.error("STACK_GLOBAL needs two strings, found " + typeName(module) + " and " + typeName(name));
                    }
                    push(globals.resolve(m, n));
                }
                case 'R', 0x81 -> { // REDUCE, NEWOBJ: both call an allow-listed stand-in with a tuple
                    String opName = op == 'R' ? "REDUCE" : "NEWOBJ";
                    Object args = pop(opName);
                    Object callee = pop(opName);
                    if (!(callee instanceof PyCallable f)) {
                        throw in.error(opName + " on " + typeName(callee) + ", which graft does not call");
                    }
                    if (!(args instanceof PyTuple t)) {
                        throw in.error(opName + " needs a tuple of arguments, found " + typeName(args));
                    }
                    push(f.call(t));
                }
                case 'b' -> build(pop("BUILD"), peek("BUILD"));
                case 'Q' -> { // BINPERSID
                    Object pid = pop("BINPERSID");
                    if (persistent == null) {
                        throw in.error("persistent id in a pickle that should hold plain values");
                    }
                    push(persistent.load(pid));
                }
                default -> throw in.errorAt(at, String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    /**
     * BUILD sets instance state. The only instances here are dicts (OrderedDict state dicts carry a
     * {@code _metadata} attribute of module versions); graft keeps no attributes, so the state is dropped.
     */
    private void build(Object state, Object target) throws CheckpointFormatException {
        if (!(target instanceof Map)) {
            throw in.error("BUILD on " + typeName(target) + " is not supported");
        }
        boolean plainState = state == null || state instanceof Map
                || state instanceof PyTuple t && t.size() == 2 && t.items().stream().allMatch(s -> s == null || s instanceof Map);
        if (!plainState) {
            throw in.error("BUILD with " + typeName(state) + " state is not supported");
        }
    }

    private Object littleEndianInt(long n) throws CheckpointFormatException {
        byte[] b = in.bytes(n);
        if (b.length <= 8) {
            long v = 0;
            for (int i = b.length - 1; i >= 0; i--) {
                v = v << 8 | (b[i] & 0xff);
            }
            int unused = 64 - 8 * b.length;
            return unused == 64 ? 0L : v << unused >> unused;
        }
        byte[] bigEndian = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            bigEndian[i] = b[b.length - 1 - i];
        }
        return new BigInteger(bigEndian);
    }

    private PyTuple tupleOfTop(int n) throws CheckpointFormatException {
        if (stack.size() - currentMarkFloor() < n) {
            throw in.error("TUPLE" + n + " needs " + n + " values on the stack");
        }
        List<Object> top = stack.subList(stack.size() - n, stack.size());
        PyTuple t = PyTuple.copyOf(top);
        top.clear();
        return t;
    }

    private void putPairs(String op, Map<Object, Object> dict, List<Object> pairs) throws CheckpointFormatException {
        if (pairs.size() % 2 != 0) {
            throw in.error(op + " needs key/value pairs, found an odd count " + pairs.size());
        }
        for (int i = 0; i < pairs.size(); i += 2) {
            dict.put(key(pairs.get(i)), pairs.get(i + 1));
        }
    }

    private Object key(Object k) throws CheckpointFormatException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean) {
            return k;
        }
        throw in.error("dict key of type " + typeName(k) + " is not supported");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(String op, Object target) throws CheckpointFormatException {
        if (target instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw in.error(op + " needs a list below its values, found " + typeName(target));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(String op, Object target) throws CheckpointFormatException {
        if (target instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw in.error(op + " needs a dict below its items, found " + typeName(target));
    }

    private Object memoGet(long index) throws CheckpointFormatException {
        if (!memo.containsKey(index)) {
            throw in.error("memo index " + index + " was never stored");
        }
        return memo.get(index);
    }

    private int currentMarkFloor() {
        return marks.isEmpty() ? 0 : marks.getLast();
    }

    private void push(Object v) {
        stack.add(v);
    }

    private Object peek(String op) throws CheckpointFormatException {
        if (stack.size() <= currentMarkFloor()) {
            throw in.error(op + " on an empty stack");
        }
        return stack.getLast();
    }

    private Object pop(String op) throws CheckpointFormatException {
        Object v = peek(op);
        stack.removeLast();
        return v;
    }

    /** The items above the topmost MARK, removed from the stack (and the mark popped). */
    private List<Object> popMark(String op) throws CheckpointFormatException {
        if (marks.isEmpty()) {
            throw in.error(op + " without a MARK");
        }
        int from = marks.removeLast();
        List<Object> top = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    /** Python's name for a value's type, for error messages. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "None";
            case Boolean _ -> "bool";
            case Long _, BigInteger _ -> "int";
            case Double _ -> "float";
            case String _ -> "str";
            case byte[] _ -> "bytes";
            case PyTuple _ -> "tuple";
            case List<?> _ -> "list";
            case Map<?, ?> _ -> "dict";
            default -> v.toString();
        };
    }

    /** Like {@link #typeName}, but a tuple lists its items' types (one level deep only). */
    static String typeNames(Object v) {
        if (v instanceof PyTuple t) {
            StringJoiner names = new StringJoiner(", ", "(", ")");
            t.items().forEach(item -> names.add(typeName(item)));
            return names.toString();
        }
        return typeName(v);
    }

    /** A short rendering of an untrusted value: scalars as Python shows them, anything else by type only. */
    static String show(Object v) {
        return switch (v) {
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case BigInteger b when b.bitLength() <= 128 -> b.toString();
            case Double d -> d.toString();
            case String s when s.length() <= 40 -> "'" + s + "'";
            case String s -> "'" + s.substring(0, 40) + "…'";
            case null, default -> typeName(v);
        };
    }
}
