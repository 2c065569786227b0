package dev.graft.models.data;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The batches of one epoch, in order, with up to {@code prefetch} of them asked for ahead of the consumer (on
 * graft's compute pool; see {@link PreparationPool}). Taking a batch asks for the next one, so preparation
 * stays that far ahead of the consumer.
 */
final class EpochIterator implements Iterator<Batch> {
    private final DataLoader loader;
    private final int epoch;
    private final int[] order;
    private final int batches;
    private final int prefetch;
    private final ArrayDeque<Future<DataLoader.Loaded>> inFlight = new ArrayDeque<>();
    private int submitted;
    private int taken;
    /** The next batch to hand out, once {@link #hasNext} has found it. */
    private Batch ready;

    EpochIterator(DataLoader loader, int epoch, int[] order, int batches, int prefetch) {
        this.loader = loader;
        this.epoch = epoch;
        this.order = order;
        this.batches = batches;
        this.prefetch = prefetch;
        fill();
    }

    /** May wait for preparation: a batch whose files all failed is skipped, so only a prepared batch tells. */
    @Override
    public boolean hasNext() {
        while (ready == null && taken < batches) {
            ready = take();
        }
        return ready != null;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("data loader: epoch " + epoch + " has no more batches");
        }
        Batch batch = ready;
        ready = null;
        return batch;
    }

    private void fill() {
        while (submitted < batches && inFlight.size() < prefetch) {
            inFlight.add(loader.submit(epoch, order, submitted++));
        }
    }

    /** The next batch in order, or null when all of its files failed. */
    private Batch take() {
        loader.checkOpen();
        Future<DataLoader.Loaded> future = inFlight.remove();
        int batch = taken++;
        fill();
        DataLoader.Loaded loaded;
        try {
            loaded = future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("data loader: interrupted waiting for batch " + batch + " of epoch "
                    + epoch, e);
        } catch (CancellationException e) {
            throw new IllegalStateException("data loader: closed", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            loader.checkOpen();
            throw new IllegalStateException("data loader: preparing batch " + batch + " of epoch " + epoch
                    + " failed: " + e.getCause(), e.getCause());
        }
        loader.report(loaded.failures());
        return loaded.batch();
    }
}
