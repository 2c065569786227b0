package dev.graft.models.demo;

import dev.graft.models.train.Strategy;
import dev.graft.models.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's pipeline at a tiny size: data drawn, source pretrained, every strategy transferred. */
class DemoTest {

    @Test
    void everyStrategyRunsOnTheDrawnTasks(@TempDir Path dir) throws Exception {
        Demo.Result r = new Demo(dir, 5, 6, 1, 4, 2, 2, "cpu").run(TrainingListener.SILENT);
        assertEquals(List.of("feature-extract", "fine-tune (layer3)", "full", "scratch"),
                r.rows().stream().map(row -> row.strategy().toString()).toList());
        assertEquals(64 * 4 + 4, r.rows().get(0).result().trainableParameters());
        assertTrue(r.rows().get(1).result().trainableParameters() > 64 * 4 + 4);
        assertEquals(r.rows().get(2).result().trainableParameters(), r.rows().get(3).result().trainableParameters());
        assertTrue(r.rows().get(0).result().featureCache());
        for (Demo.Row row : r.rows()) {
            assertTrue(Files.isRegularFile(row.result().report()), row.strategy().toString());
            assertEquals(2, row.result().history().size());
        }
        assertEquals(SyntheticShapes.SOURCE.size(), Files.list(dir.resolve("data/source/train")).count());
    }

    @Test
    void figuresAreDrawnDeterministicallyAndDiffer() {
        BufferedImage a = SyntheticShapes.draw("hexagon", 32, new SplittableRandom(1));
        BufferedImage b = SyntheticShapes.draw("hexagon", 32, new SplittableRandom(1));
        BufferedImage c = SyntheticShapes.draw("arrow", 32, new SplittableRandom(1));
        assertEquals(pixels(a), pixels(b));
        assertNotEquals(pixels(a), pixels(c));
    }

    private static List<Integer> pixels(BufferedImage image) {
        return java.util.Arrays.stream(image.getRGB(0, 0, 32, 32, null, 0, 32)).boxed().toList();
    }
}
