package dev.graft.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/** The global function symbols of an ELF64 cubin (its kernels), read from the symbol table's section headers. */
final class CubinSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int STT_FUNC = 2;
    private static final int STB_GLOBAL = 1;

    private CubinSymbols() {
    }

    static Set<String> globalFunctions(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2) {
            throw new IllegalArgumentException("cubin of " + elf.length + " bytes: not an ELF64 file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != SHT_SYMTAB) {
                continue;
            }
            int offset = (int) b.getLong(sh + 24);
            int size = (int) b.getLong(sh + 32);
            int entsize = (int) b.getLong(sh + 56);
            int strtab = (int) (shoff + (long) b.getInt(sh + 40) * shentsize);
            int strings = (int) b.getLong(strtab + 24);
            for (int s = offset; s < offset + size; s += entsize) {
                int info = Byte.toUnsignedInt(b.get(s + 4));
                if ((info & 0xf) == STT_FUNC && info >> 4 == STB_GLOBAL) {
                    names.add(cString(elf, strings + b.getInt(s)));
                }
            }
        }
        return names;
    }

    private static String cString(byte[] bytes, int from) {
        int end = from;
        while (bytes[end] != 0) {
            end++;
        }
        return new String(bytes, from, end - from, StandardCharsets.US_ASCII);
    }
}
