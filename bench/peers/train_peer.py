#!/usr/bin/python3
"""The PyTorch twin of `tessera train` (the default model): the same data, model, optimiser, schedule and batches.

  OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/train_peer.py [EPOCHS] [DATA_DIR]

Fashion-MNIST from Debian's dataset-fashion-mnist (IDX, gzip), standardised with the training set's mean and std;
784-512-256-10 ReLU with dropout 0.2 after each hidden layer, Adam lr 1e-3 with cosine decay over all steps,
batch 128, a reshuffle per epoch, cross-entropy. Prints one line per epoch: <epoch> TAB <seconds> TAB <train loss>
TAB <test accuracy>, timed as Tessera times its epochs (the training loop; evaluation after the clock stops).
"""
import gzip
import os
import sys
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    d = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "0")) or torch.get_num_threads())
    torch.manual_seed(0)
    x = torch.from_numpy(idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    tx = torch.from_numpy(idx(f"{d}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    ty = torch.from_numpy(idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    mean, std = x.mean(), x.std()
    x, tx = (x - mean) / std, (tx - mean) / std
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                torch.nn.Linear(256, 10))
    batch, n = 128, x.shape[0]
    steps = epochs * ((n + batch - 1) // batch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        order = torch.randperm(n)
        loss_sum = 0.0
        for start in range(0, n, batch):
            i = order[start:start + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[i]), y[i])
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(i)
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"{epoch}\t{seconds:.3f}\t{loss_sum / n:.4f}\t{accuracy:.4f}", flush=True)


if __name__ == "__main__":
    main()
