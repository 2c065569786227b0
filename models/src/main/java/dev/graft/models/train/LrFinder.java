package dev.graft.models.train;

import dev.graft.engine.Tensor;
import dev.graft.engine.cpu.StepMemory;
import dev.graft.engine.optim.Optimizer;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.models.bundle.WeightsException;
import dev.graft.models.data.Batch;
import dev.graft.models.report.LrSuggestion;
import dev.graft.models.report.TrainingReport;
import dev.graft.models.resnet.StagedNetwork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The learning-rate range test (Smith 2017, as fastai's {@code lr_find}): train the configured run's model for
 * up to {@code steps} batches while the learning rate grows exponentially from {@code startLr} to {@code endLr},
 * record the loss of each batch, stop once the smoothed loss exceeds four times its minimum, and suggest the
 * rate where the smoothed loss falls fastest. Every parameter group keeps its discriminative ratio to the head's
 * rate. The model is thrown away afterwards.
 *
 * @param lrs    the head's learning rate at each recorded step
 * @param losses the training loss of each of those steps
 */
public record LrFinder(double[] lrs, double[] losses, double suggested, Path plot) {

    public static LrFinder run(TrainConfig config, double startLr, double endLr, int steps, TrainingListener listener)
            throws IOException, WeightsException {
        if (!(startLr > 0) || !(endLr > startLr) || steps < 5) {
            throw new IllegalArgumentException("lr-find: need 0 < start < end and at least 5 steps, got " + startLr
                    + ", " + endLr + " and " + steps);
        }
        Files.createDirectories(config.out());
        try (RunData data = RunData.load(config, listener)) {
            RunModel model = RunModel.build(config, data.classes().size());
            StagedNetwork network = model.network();
            List<ParamGroup> groups = ParamGroups.build(network, config.lr(), config.weightDecay(),
                    config.backboneLrMult(), config.layerDecay(), false);
            double[] ratio = groups.stream().mapToDouble(g -> g.baseLr() / config.lr()).toArray();
            Optimizer optimizer = Trainer.optimizer(config, groups);
            Tensor weights = config.classWeights()
                    ? ClassWeights.inverseFrequency(data.trainSet().classCounts()).to(model.device()) : null;
            List<Double> lrs = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            double best = Double.POSITIVE_INFINITY;
            double smoothed = 0;
            network.train();
            int epoch = 0;
            Iterator<Batch> batches = data.train().epoch(epoch);
            StepMemory memory = new StepMemory();
            for (int step = 0; step < steps; step++) {
                if (!batches.hasNext()) {
                    batches = data.train().epoch(++epoch);
                }
                Batch b = batches.next();
                double lr = startLr * Math.pow(endLr / startLr, (double) step / (steps - 1));
                for (int g = 0; g < groups.size(); g++) {
                    groups.get(g).setLr(lr * ratio[g]);
                }
                double value;
                try (var _ = memory.step(model.device(), network::stateTensors)) {
                    Tensor loss = Trainer.loss(config, weights, network.forward(InputChannels.fromRgb(
                            b.images().to(model.device()), model.preprocessing().channels())),
                            b.labels().to(model.device()));
                    value = loss.item();
                    if (!Double.isFinite(value)) {
                        break;
                    }
                    optimizer.zeroGrad();
                    loss.backward();
                }
                optimizer.step();
                lrs.add(lr);
                losses.add(value);
                smoothed = LrSuggestion.smooth(losses.stream().mapToDouble(Double::doubleValue).toArray(), 0.98)
                        [losses.size() - 1];
                best = Math.min(best, smoothed);
                listener.batchEnded(step + 1, value, Double.NaN, (long) (step + 1) * b.labels().numel(), 0);
                if (step > 5 && smoothed > 4 * best) {
                    break;
                }
            }
            double[] x = lrs.stream().mapToDouble(Double::doubleValue).toArray();
            double[] y = losses.stream().mapToDouble(Double::doubleValue).toArray();
            double suggested = LrSuggestion.suggest(x, y);
            Path plot = config.out().resolve("lr-find.html");
            TrainingReport.writeLrFind(plot, x, y, suggested);
            return new LrFinder(x, y, suggested, plot);
        }
    }
}
