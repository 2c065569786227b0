package dev.graft.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnpicklerTest {

    /** One Python object, pickled by CPython 3 with protocols 2, 4 and 5 (FRAME, MEMOIZE, SHORT_BINUNICODE). */
    private static final Map<Integer, String> PLAIN = Map.of(
            2, "80027d71002858010000006171015d7102284b014afeffffff474004000000000000580300000078c3a971034e88894d2c01"
                    + "4a701101004a90eefeff8a090000000000000000408a0800000000000000806558010000006271044b014b024b03877105"
                    + "58010000006371062958010000006471074b0485710858010000006571094b054b0686710a580100000066710b7d710c5801"
                    + "00000067710d5d710e734b075805000000736576656e710f752e",
            4, "80049582000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0378c3a9944e88894d2c014a"
                    + "701101004a90eefeff8a090000000000000000408a080000000000000080658c0162944b014b024b0387948c01639429"
                    + "8c0164944b0485948c0165944b054b0686948c0166947d948c0167945d94734b078c05736576656e94752e",
            5, "80059582000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0378c3a9944e88894d2c014a"
                    + "701101004a90eefeff8a090000000000000000408a080000000000000080658c0162944b014b024b0387948c01639429"
                    + "8c0164944b0485948c0165944b054b0686948c0166947d948c0167945d94734b078c05736576656e94752e");

    static Object unpickle(byte[] pickle) throws CheckpointFormatException {
        ByteCursor in = new ByteCursor("test.pkl", pickle, 0, pickle.length);
        return new Unpickler(in, new TorchGlobals(in), null).load();
    }

    static CheckpointFormatException refused(byte[] pickle) {
        return assertThrows(CheckpointFormatException.class, () -> unpickle(pickle));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 5})
    void plainValuesMatchPython(int protocol) throws Exception {
        // {'a': [1, -2, 2.5, 'xé', None, True, False, 300, 70000, -70000, 2**70, -2**63],
        //  'b': (1, 2, 3), 'c': (), 'd': (4,), 'e': (5, 6), 'f': {'g': []}, 7: 'seven'}
        Map<?, ?> d = assertInstanceOf(Map.class, unpickle(PickleWriter.hex(PLAIN.get(protocol))));
        assertEquals(List.of("a", "b", "c", "d", "e", "f", 7L), new ArrayList<>(d.keySet()));
        assertEquals(Arrays.asList(1L, -2L, 2.5, "xé", null, true, false, 300L, 70000L, -70000L,
                BigInteger.TWO.pow(70), Long.MIN_VALUE), d.get("a"));
        assertEquals(PyTuple.of(1L, 2L, 3L), d.get("b"));
        assertEquals(PyTuple.of(), d.get("c"));
        assertEquals(PyTuple.of(4L), d.get("d"));
        assertEquals(PyTuple.of(5L, 6L), d.get("e"));
        assertEquals(Map.of("g", List.of()), d.get("f"));
        assertEquals("seven", d.get(7L));
    }

    @Test
    void memoSharesObjects() throws Exception {
        // [x, x] where x = [] is memoized once with LONG_BINPUT and fetched with LONG_BINGET
        byte[] p = PickleWriter.proto2().op(']').mark().op(']').op('r').le32(70000).op('j').le32(70000).op('e').stop()
                .bytes();
        List<?> l = assertInstanceOf(List.class, unpickle(p));
        assertSame(l.get(0), l.get(1));
    }

    @Test
    void textAndBytesOpcodes() throws Exception {
        byte[] p = PickleWriter.proto2().mark()
                .op(0x8d).le64(2).raw('h', 'i') // BINUNICODE8
                .op('T').le32(1).raw('s') // BINSTRING
                .op('U').raw(1, 'u') // SHORT_BINSTRING
                .op('B').le32(2).raw(0, 255) // BINBYTES
                .op(0x8b).le32(1).raw(0xff) // LONG4: -1
                .op(0x8a).raw(0) // LONG1 of no bytes: 0
                .op('l').stop().bytes();
        List<?> l = assertInstanceOf(List.class, unpickle(p));
        assertEquals(List.of("hi", "s", "u"), l.subList(0, 3));
        assertTrue(Arrays.equals(new byte[] {0, (byte) 255}, (byte[]) l.get(3)));
        assertEquals(List.of(-1L, 0L), l.subList(4, 6));
    }

    @Test
    void stackOpcodesAndDictFromMark() throws Exception {
        // POP drops 9, POP_MARK drops (8, 8), DUP doubles 'k'... then DICT builds {'k': 'k'}
        byte[] p = PickleWriter.proto2().integer(9).op('0').mark().integer(8).integer(8).op('1')
                .mark().str("k").op('2').op('d').stop().bytes();
        Map<Object, Object> expected = new LinkedHashMap<>();
        expected.put("k", "k");
        assertEquals(expected, unpickle(p));
    }

    @Test
    void orderedDictAndItsMetadataState() throws Exception {
        // OrderedDict() with SETITEM, then BUILD with {'_metadata': {...}} as state_dict() pickles it
        byte[] p = PickleWriter.proto2().orderedDict().str("w").integer(1).setItem()
                .emptyDict().str("_metadata").emptyDict().setItem().op('b').stop().bytes();
        assertEquals(Map.of("w", 1L), unpickle(p));
    }

    @Test
    void refusesGlobalsOffTheAllowList() {
        byte[] system = PickleWriter.proto2().global("os", "system").str("echo pwned").op(0x85).reduce().stop().bytes();
        assertEquals("test.pkl at byte 13: refusing to unpickle global os.system (not on graft's allow-list)",
                refused(system).getMessage());
        byte[] eval = new PickleWriter().op(0x80).raw(4).op(0x8c).raw(8).raw("builtins".chars().toArray())
                .op(0x8c).raw(4).raw("eval".chars().toArray()).op(0x93).stop().bytes();
        assertTrue(refused(eval).getMessage().endsWith("refusing to unpickle global builtins.eval (not on graft's allow-list)"));
        // Protocol 2 pickles bytes through _codecs.encode, which is no tensor business either.
        assertTrue(refused(PickleWriter.hex("8002635f636f646563730a656e636f64650a710058020000000001710158060000006c6174"
                + "696e3171028671035271042e")).getMessage().contains("global _codecs.encode"));
    }

    @Test
    void callsOnlyAllowListedStandIns() {
        // A storage type is allowed as a value but is not callable; nor is a string.
        assertTrue(refused(PickleWriter.proto2().global("torch", "FloatStorage").emptyTuple().reduce().stop().bytes())
                .getMessage().contains("REDUCE on torch.FloatStorage, which graft does not call"));
        assertTrue(refused(PickleWriter.proto2().str("os").emptyTuple().reduce().stop().bytes())
                .getMessage().contains("REDUCE on str"));
        assertTrue(refused(PickleWriter.proto2().global("collections", "OrderedDict").op(']').reduce().stop().bytes())
                .getMessage().contains("REDUCE needs a tuple of arguments, found list"));
        assertTrue(refused(PickleWriter.proto2().global("torch", "ComplexFloatStorage").stop().bytes())
                .getMessage().contains("unsupported dtype: storage torch.ComplexFloatStorage"));
    }

    @Test
    void structuralErrorsNameTheProblem() {
        assertTrue(refused(PickleWriter.proto2().op('I').stop().bytes()).getMessage()
                .endsWith("at byte 2: unsupported pickle opcode 0x49"));
        assertTrue(refused(PickleWriter.proto2().stop().bytes()).getMessage().contains("STOP on an empty stack"));
        assertTrue(refused(PickleWriter.proto2().op('j').le32(0xfffffff0L).stop().bytes()).getMessage()
                .contains("memo index 4294967280 was never stored"));
        assertTrue(refused(PickleWriter.proto2().op('X').le32(0xffffffffL).stop().bytes()).getMessage()
                .contains("truncated: needs 4294967295 bytes, only 1 left"));
        assertTrue(refused(PickleWriter.proto2().emptyDict().integer(1).op('a').stop().bytes()).getMessage()
                .contains("APPEND needs a list below its values, found dict"));
        assertTrue(refused(PickleWriter.proto2().emptyDict().op(']').integer(1).setItem().stop().bytes()).getMessage()
                .contains("dict key of type list is not supported"));
        assertTrue(refused(PickleWriter.proto2().op(']').emptyDict().op('b').stop().bytes()).getMessage()
                .contains("BUILD on list is not supported"));
        assertTrue(refused(new PickleWriter().op(0x80).raw(6).stop().bytes()).getMessage()
                .contains("unsupported pickle protocol 6"));
        assertTrue(refused(PickleWriter.proto2().emptyTuple().op('Q').stop().bytes()).getMessage()
                .contains("persistent id in a pickle that should hold plain values"));
        assertTrue(refused(PickleWriter.proto2().op('X').le32(2).raw(0xc3, 0x28).stop().bytes()).getMessage()
                .contains("invalid UTF-8"));
        assertTrue(refused(PickleWriter.proto2().integer(1).op('e').stop().bytes()).getMessage()
                .contains("APPENDS without a MARK"));
    }

    @Test
    void marksFenceTheStack() {
        // TUPLE2 may not take values from below a MARK, like CPython's unpickler.
        assertTrue(refused(PickleWriter.proto2().integer(1).mark().integer(2).op(0x86).stop().bytes()).getMessage()
                .contains("TUPLE2 needs 2 values on the stack"));
    }

    @Test
    void deepNestingNeitherRecursesNorHangs() {
        int depth = 1_000_000;
        byte[] marks = new byte[depth + 3];
        marks[0] = (byte) 0x80;
        marks[1] = 2;
        Arrays.fill(marks, 2, depth + 2, (byte) '(');
        marks[depth + 2] = '.';
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> refused(marks));

        // 300k nested lists built with APPEND are a value, not a recursion, for the interpreter.
        PickleWriter lists = PickleWriter.proto2().op(']');
        for (int i = 0; i < 300_000; i++) {
            lists.op(']');
        }
        for (int i = 0; i < 300_000; i++) {
            lists.op('a');
        }
        byte[] nested = lists.stop().bytes();
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertInstanceOf(List.class, unpickle(nested)));
    }

    @Test
    void noneIsNull() throws Exception {
        assertNull(unpickle(PickleWriter.proto2().none().stop().bytes()));
    }
}
