package dev.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class InventoryTest {

    private static int bytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void namesCompareAsTheirUtf8Bytes() {
        List<String> names = List.of("", "a", "ab", "a-c", "a/b", "a0", "B", "\u00e4", "\uff5e", "\ud83d\ude00",
                "\ud83d\ude00x", "\uffff", "z");
        for (String a : names) {
            for (String b : names) {
                assertThat(Integer.signum(Inventory.compareNames(a, b))).as("%s vs %s", a, b)
                        .isEqualTo(Integer.signum(bytes(a, b)));
            }
        }
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(Inventory::compareNames);
        assertThat(sorted.indexOf("\uff5e")).as("U+FF5E before U+1F600, unlike String.compareTo")
                .isLessThan(sorted.indexOf("\ud83d\ude00"));
    }
}
