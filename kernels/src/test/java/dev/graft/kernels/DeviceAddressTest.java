package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jcuda.driver.CUdeviceptr;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class DeviceAddressTest {

    @Property
    void addressesSurviveTheRoundTripAndByteOffsetsAdd(@ForAll @LongRange(min = 0, max = 1L << 48) long address,
            @ForAll @LongRange(min = 0, max = 1L << 30) long offset) {
        CUdeviceptr pointer = DeviceAddress.at(address);
        assertEquals(address, DeviceAddress.of(pointer));
        assertEquals(address + offset, DeviceAddress.of(pointer.withByteOffset(offset)));
    }

    @Test
    void aFreshPointerIsNull() {
        assertEquals(0, DeviceAddress.of(new CUdeviceptr()));
    }
}
