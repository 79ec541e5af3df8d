package dev.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CodecTest {

    @Test
    void metaIsCopiedSoTheCodecStaysImmutable() {
        byte[] meta = {1, 2, 3};
        Codec codec = new Codec("id", "name", meta, "v1", 3);
        meta[0] = 9;
        codec.meta()[1] = 9;
        assertThat(codec.meta()).containsExactly(1, 2, 3);
    }

    @Test
    void equalityComparesMetaByContent() {
        assertThat(new Codec("a", "b", new byte[] {1}, "v", 1)).isEqualTo(new Codec("a", "b", new byte[] {1}, "v", 1))
                .hasSameHashCodeAs(new Codec("a", "b", new byte[] {1}, "v", 1));
        assertThat(new Codec("a", "b", new byte[] {1}, "v", 1)).isNotEqualTo(new Codec("a", "b", new byte[] {2}, "v", 1));
    }

    @Test
    void missingVersionAndMetaBecomeEmpty() {
        Codec codec = new Codec("a", "b", null, null, -1);
        assertThat(codec.version()).isEmpty();
        assertThat(codec.meta()).isEmpty();
    }

    @Test
    void blankIdOrNameIsRejected() {
        assertThatThrownBy(() -> Codec.of(" ", "b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id");
        assertThatThrownBy(() -> Codec.of("a", "")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> Codec.of("a", "b", "", -2)).isInstanceOf(IllegalArgumentException.class);
    }
}
