package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The public CIFAR checkpoints in {@code graft.assets}/resnet-cifar10 have the keys and shapes of graft's
 * CIFAR ResNets, less the optional BatchNorm counters, as PyTorch itself lists them: the fixture script dumps
 * their key lists and this test checks the dumps came from exactly these files. (Loading the files through
 * graft's own reader is covered by the parity tests.)
 */
class CifarCheckpointKeysTest {

    @ParameterizedTest
    @ValueSource(ints = {20, 32, 44, 56})
    void publicCheckpointMatches(int depth) throws IOException, NoSuchAlgorithmException {
        Path assets = Path.of(System.getProperty("graft.assets", "../../shared/assets"));
        Path folder = assets.resolve("resnet-cifar10");
        if (!Files.isDirectory(folder)) {
            String reason = "skipped: asset folder " + folder.toAbsolutePath().normalize() + " is absent";
            System.out.println("CifarCheckpointKeysTest " + reason);
            assumeTrue(false, reason);
        }
        ModelFixtures.KeyList checkpoint = ModelFixtures.keyList("asset_resnet" + depth);
        Path file = assets.resolve(checkpoint.source());
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(checkpoint.sha256(), sha256, file + " is not the checkpoint the key list was dumped from");

        CifarResNet net = CifarResNet.of(depth, 10, 3, new Generator(1));
        LinkedHashMap<String, Tensor> state = net.stateDict();
        net.optionalStateKeys().forEach(state::remove);
        assertEquals(checkpoint.lines(), StateDictKeysTest.keyLines(state));
    }
}
