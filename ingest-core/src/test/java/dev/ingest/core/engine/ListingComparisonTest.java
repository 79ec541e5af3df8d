package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ListingComparisonTest {

    /** A destination whose listing is given; it holds an entry when the entry's version is the codec's. */
    private static final class Listing implements Destination {
        private final List<Listed> entries;
        private final int failAfter;
        final List<String> listed = new ArrayList<>();
        boolean closed;

        Listing(int failAfter, Listed... entries) {
            this.entries = List.of(entries);
            this.failAfter = failAfter;
        }

        Listing(Listed... entries) {
            this(Integer.MAX_VALUE, entries);
        }

        @Override
        public Optional<URI> stat(Codec codec) {
            throw new AssertionError("not used");
        }

        @Override
        public URI store(Codec codec, Blob blob) {
            throw new AssertionError("not used");
        }

        @Override
        public Optional<Inventory> inventory() {
            Iterator<Listed> it = entries.iterator();
            return Optional.of(new Inventory() {
                int n;

                @Override
                public Optional<Listed> next() throws IOException {
                    if (n++ >= failAfter) {
                        throw new IOException("listing broke");
                    }
                    if (!it.hasNext()) {
                        return Optional.empty();
                    }
                    Listed l = it.next();
                    listed.add(l.name());
                    return Optional.of(l);
                }

                @Override
                public void close() {
                    closed = true;
                }
            });
        }

        @Override
        public boolean holds(Codec codec, Listed entry) {
            return entry.size() == codec.size() && entry.version().equals(codec.version());
        }
    }

    /** A destination that cannot list. */
    private static final class Unlisted implements Destination {
        @Override
        public Optional<URI> stat(Codec codec) {
            return Optional.empty();
        }

        @Override
        public URI store(Codec codec, Blob blob) {
            return URI.create("x:/");
        }
    }

    private static Codec codec(String name) {
        return Codec.of(name, name, "v", 1);
    }

    private static Listed entry(String name) {
        return new Listed(name, 1, "v");
    }

    private static ListingComparison compare(Destination... destinations) {
        List<Transfer.Named<Destination>> named = new ArrayList<>();
        for (int i = 0; i < destinations.length; i++) {
            named.add(new Transfer.Named<>("d" + (i + 1), "test", destinations[i]));
        }
        return ListingComparison.start("wf", named, (d, ok) -> { });
    }

    @Test
    void objectsEveryDestinationHoldsAreHeldAndTheOthersNameTheDestinationsThatLackThem() throws Exception {
        Listing one = new Listing(entry("a"), entry("b"), entry("d"));
        Listing two = new Listing(entry("b"), entry("c"), entry("d"));
        try (ListingComparison c = compare(one, two)) {
            assertThat(c.active()).isTrue();
            assertThat(c.compare(codec("a"))).isEqualTo(new ListingComparison.Verdict(false, List.of("d2")));
            assertThat(c.compare(codec("b"))).isEqualTo(new ListingComparison.Verdict(true, List.of()));
            assertThat(c.compare(codec("c"))).isEqualTo(new ListingComparison.Verdict(false, List.of("d1")));
            assertThat(c.compare(codec("d")).heldEverywhere()).isTrue();
            assertThat(c.compare(codec("e"))).isEqualTo(new ListingComparison.Verdict(false, List.of("d1", "d2")));
        }
        assertThat(one.closed).isTrue();
        assertThat(two.closed).isTrue();
    }

    @Test
    void anEntryOfTheSameNameThatIsNotTheObjectIsUnknownNotLacking() throws Exception {
        try (ListingComparison c = compare(new Listing(new Listed("a", 2, "v"), new Listed("b", 1, "other")))) {
            assertThat(c.compare(codec("a"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
            assertThat(c.compare(codec("b"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
        }
    }

    @Test
    void aDestinationThatCannotListIsAlwaysUnknownAndKeepsObjectsFromBeingHeldEverywhere() throws Exception {
        try (ListingComparison c = compare(new Listing(entry("a")), new Unlisted())) {
            assertThat(c.compare(codec("a"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
            assertThat(c.compare(codec("b"))).isEqualTo(new ListingComparison.Verdict(false, List.of("d1")));
        }
        try (ListingComparison c = compare(new Unlisted())) {
            assertThat(c.active()).isFalse();
            assertThat(c.compare(codec("a"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
        }
    }

    @Test
    void aSourceListedOutOfOrderMakesTheObjectsConcernedUnknown() throws Exception {
        try (ListingComparison c = compare(new Listing(entry("a"), entry("c")))) {
            assertThat(c.compare(codec("c")).heldEverywhere()).isTrue();
            assertThat(c.compare(codec("a"))).as("after c").isEqualTo(ListingComparison.Verdict.UNKNOWN);
            assertThat(c.compare(codec("c"))).as("again").isEqualTo(ListingComparison.Verdict.UNKNOWN);
            assertThat(c.compare(codec("d")).lackingAt()).containsExactly("d1");
        }
    }

    @Test
    void aDestinationListedOutOfOrderIsGivenUpOnceSeenAndNothingMoreIsSaidToBeLacking() throws Exception {
        Listing disordered = new Listing(entry("a"), entry("c"), entry("b"), entry("d"));
        try (ListingComparison c = compare(disordered)) {
            assertThat(c.compare(codec("a")).heldEverywhere()).isTrue();
            // Before the disorder shows, b seems lacking: at worst a copy that was not needed, never one missed.
            assertThat(c.compare(codec("b")).lackingAt()).containsExactly("d1");
            assertThat(c.compare(codec("d"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
            assertThat(c.compare(codec("e"))).isEqualTo(ListingComparison.Verdict.UNKNOWN);
        }
        assertThat(disordered.closed).isTrue();
    }

    @Test
    void aListingThatFailsIsGivenUpWithoutSayingAnythingIsLacking() throws Exception {
        Listing failing = new Listing(2, entry("a"), entry("b"), entry("c"));
        try (ListingComparison c = compare(failing)) {
            assertThat(c.compare(codec("a")).heldEverywhere()).isTrue();
            assertThat(c.compare(codec("b")).heldEverywhere()).isTrue();
            assertThat(c.compare(codec("z"))).as("the listing broke before its end").isEqualTo(ListingComparison.Verdict.UNKNOWN);
        }
        assertThat(failing.closed).isTrue();
    }

    @Test
    void namesAreComparedByUtf8BytesNotUtf16Units() throws Exception {
        String bmp = "\uff21";            // U+FF21: after U+1F600 in UTF-16, before it in UTF-8
        String astral = "\ud83d\ude00";   // U+1F600
        assertThat(Inventory.compareNames(bmp, astral)).isNegative();
        assertThat(bmp.compareTo(astral)).isPositive();
        assertThat(Inventory.compareNames("a", "ab")).isNegative();
        assertThat(Inventory.compareNames("b", "ab")).isPositive();
        assertThat(Inventory.compareNames("same", "same")).isZero();
        try (ListingComparison c = compare(new Listing(entry(bmp), entry(astral)))) {
            assertThat(c.compare(codec(bmp)).heldEverywhere()).isTrue();
            assertThat(c.compare(codec(astral)).heldEverywhere()).isTrue();
        }
    }

    @Test
    void aLongListingIsWalkedWithoutHoldingItAndAllOfItIsCompared() throws Exception {
        int n = 20_000;
        List<Listed> entries = new ArrayList<>();
        for (int i = 0; i < n; i += 2) {
            entries.add(entry(String.format("k%06d", i)));
        }
        try (ListingComparison c = compare(new Listing(entries.toArray(Listed[]::new)))) {
            int held = 0;
            int lacking = 0;
            for (int i = 0; i < n; i++) {
                ListingComparison.Verdict v = c.compare(codec(String.format("k%06d", i)));
                held += v.heldEverywhere() ? 1 : 0;
                lacking += v.lackingAt().size();
            }
            assertThat(held).isEqualTo(n / 2);
            assertThat(lacking).isEqualTo(n / 2);
        }
    }
}
