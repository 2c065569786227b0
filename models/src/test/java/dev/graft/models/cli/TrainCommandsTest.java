package dev.graft.models.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Generator;
import dev.graft.models.ModelRegistry;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.models.demo.SyntheticShapes;
import dev.graft.models.resnet.CifarResNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.graft.models.cli.GraftCommandTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train, evaluate, predict and lr-find through the command line, on drawn images. */
class TrainCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path data;
    static Path weights;

    @BeforeAll
    static void data() throws Exception {
        data = dir.resolve("data");
        SyntheticShapes.write(data.resolve("train"), SyntheticShapes.TARGET, 8, 32, 1);
        SyntheticShapes.write(data.resolve("val"), SyntheticShapes.TARGET, 4, 32, 2);
        weights = dir.resolve("pretrained.safetensors");
        var arch = ModelRegistry.get("cifar_resnet20");
        ModelBundle.write(weights, CifarResNet.of(20, 10, 3, new Generator(42)),
                new BundleMetadata(arch.name(), 10, List.of(), arch.preprocessing(), null, null, null));
    }

    private static JsonNode lastLine(String out) throws Exception {
        return JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void trainThenEvaluateAndPredictTheBestModel() throws Exception {
        Path run = dir.resolve("run");
        var train = graft("train", "--data", data.resolve("train"), "--val", data.resolve("val"), "--arch",
                "cifar_resnet20", "--weights", weights, "--strategy", "fine-tune", "--unfreeze", "layer3",
                "--epochs", 2, "--batch", 8, "--lr", 0.02, "--out", run, "--json");
        assertEquals(0, train.code(), train.err());
        JsonNode result = lastLine(train.out());
        for (String key : List.of("final_val_accuracy", "best_val_accuracy", "best_epoch", "epochs", "train_seconds",
                "images_per_sec", "trainable_parameters", "skipped_files")) {
            assertTrue(result.has(key), key + " missing from " + result);
        }
        assertEquals(2, result.get("epochs").asInt());
        assertEquals(0, result.get("skipped_files").asInt());
        assertTrue(train.out().contains(" epoch  train loss"), train.out());
        assertTrue(train.err().contains("note: model: cifar_resnet20"), train.err());
        assertTrue(!train.err().contains("feature cache"), train.err());
        for (String file : List.of("best.safetensors", "last.safetensors", "metrics.jsonl", "report.html")) {
            assertTrue(Files.isRegularFile(run.resolve(file)), file);
        }
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());

        var evaluate = graft("evaluate", "--model", run.resolve("best.safetensors"), "--data", data.resolve("val"),
                "--json");
        assertEquals(0, evaluate.code(), evaluate.err());
        JsonNode metrics = lastLine(evaluate.out());
        assertEquals(result.get("best_val_accuracy").asDouble(), metrics.get("accuracy").asDouble(), 1e-12);
        assertTrue(evaluate.out().contains("confusion (rows: true class"), evaluate.out());

        Path image = data.resolve("val/arrow/0001.png");
        var predict = graft("predict", "--model", run.resolve("best.safetensors"), "--top", 2, "--json", image, image);
        assertEquals(0, predict.code(), predict.err());
        JsonNode predictions = lastLine(predict.out()).get("predictions");
        assertEquals(2, predictions.size());
        assertEquals(2, predictions.get(0).get("top").size());
        assertEquals(predictions.get(0), predictions.get(1));
        var tta = graft("predict", "--model", run.resolve("best.safetensors"), "--tta", image);
        assertEquals(0, tta.code(), tta.err());

        var resume = graft("train", "--data", data.resolve("train"), "--val", data.resolve("val"), "--arch",
                "cifar_resnet20", "--weights", weights, "--strategy", "fine-tune", "--unfreeze", "layer3",
                "--epochs", 3, "--batch", 8, "--lr", 0.02, "--out", run, "--resume");
        assertEquals(1, resume.code());
        assertTrue(resume.err().contains("epochs was 2, now 3"), resume.err());
    }

    @Test
    void withoutValidationTheBestEpochIsTheBestTrainingAccuracy() throws Exception {
        Path run = dir.resolve("no-val");
        var train = graft("train", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights", weights,
                "--strategy", "feature-extract", "--augment", "none", "--epochs", 2, "--batch", 8, "--out", run, "--json");
        assertEquals(0, train.code(), train.err());
        JsonNode result = lastLine(train.out());
        assertTrue(train.err().contains("note: feature cache:"), train.err());
        assertTrue(result.get("final_val_accuracy").isNull(), result.toString());
        assertTrue(result.get("best_val_accuracy").isNull(), result.toString());
        assertTrue(result.get("feature_cache").asBoolean(), result.toString());
        assertTrue(train.out().contains("best: epoch " + result.get("best_epoch").asInt() + ", train accuracy"),
                train.out());
        assertTrue(Files.isRegularFile(run.resolve("report.html")));
    }

    @Test
    void lrFindSuggestsARateAndPlotsIt() throws Exception {
        Path out = dir.resolve("lr");
        var r = graft("lr-find", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights", weights,
                "--strategy", "feature-extract", "--batch", 8, "--steps", 12, "--out", out, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = lastLine(r.out());
        double lr = j.get("suggested_lr").asDouble();
        assertTrue(lr >= 1e-7 && lr <= 10, r.out());
        assertTrue(Files.isRegularFile(out.resolve("lr-find.html")));
    }

    @Test
    void usageErrorsNameTheOption() {
        var cuda = graft("train", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights", weights,
                "--device", "cuda", "--out", dir.resolve("x"));
        assertEquals(2, cuda.code());
        assertTrue(cuda.err().contains("--device cuda"), cuda.err());
        var strategy = graft("train", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights",
                weights, "--strategy", "freeze", "--out", dir.resolve("x"));
        assertEquals(2, strategy.code());
        assertTrue(strategy.err().contains("unknown strategy 'freeze'"), strategy.err());
        var scratch = graft("train", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights",
                weights, "--strategy", "scratch", "--out", dir.resolve("x"));
        assertEquals(2, scratch.code());
        assertTrue(scratch.err().contains("--weights none"), scratch.err());
        var optimizer = graft("train", "--data", data.resolve("train"), "--arch", "cifar_resnet20", "--weights",
                weights, "--optimizer", "rmsprop", "--out", dir.resolve("x"));
        assertEquals(2, optimizer.code());
        assertTrue(optimizer.err().contains("[sgd, adam, adamw]"), optimizer.err());
    }
}
