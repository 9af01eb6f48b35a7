# The Python side of test/bench/speed.sh: prints CSV rows "what,run,seconds,accuracy".
#   python3 speed.py letter OUT_DIR RUNS THREADS TORCH_THREADS   (OUT_DIR/letter_folds.txt: fold 0 held out)
#   python3 speed.py mnist DATA_DIR RUNS THREADS TORCH_THREADS
#   python3 speed.py blas - 0 THREADS TORCH_THREADS   (one line: the BLAS numpy and torch loaded)
# THREADS: scikit-learn's BLAS threads; TORCH_THREADS: PyTorch's intra-op and
# BLAS threads (threadpoolctl limits OpenBLAS around each library's part).
# scikit-learn times fit only; PyTorch times its training loop only (the
# data already in tensors, z-scored like bpnn's inputs).
import gzip
import sys
import time
import warnings

import numpy as np
import torch

from threadpoolctl import threadpool_limits

part, where, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
threads, torch_threads = int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(torch_threads)


def zscore(train, *others):
    mean, sd = train.mean(0), train.std(0, ddof=1)
    sd[sd == 0] = 1
    return [((a - mean) / sd).astype(np.float32) for a in (train,) + others]


def torch_fit(net, x, y, epochs, batch, seed, nesterov):
    """SGD with momentum 0.9, learning rate 0.01, cross-entropy; the loop's seconds."""
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    limits = threadpool_limits(torch_threads, user_api="blas")
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=nesterov)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
    secs = time.perf_counter() - t0
    limits.restore_original_limits()
    return secs


def torch_accuracy(net, x, y):
    with torch.no_grad():
        return (net(torch.from_numpy(x)).argmax(1) == torch.from_numpy(y)).float().mean().item()


if part == "blas":
    # what was loaded, not what was asked for: threadpoolctl lists the BLAS
    # libraries in this process (numpy's and torch's), /proc/self/maps the
    # file libblas.so.3 (torch's generic BLAS) resolved to
    import os
    import sklearn
    from threadpoolctl import threadpool_info
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    # OpenBLAS's threads as given for scikit-learn; PyTorch's parts limit them to TORCH_THREADS
    desc = "; ".join(f"{i['internal_api']} {i.get('version')} ({i.get('threading_layer')}, "
                     f"{i.get('architecture')} kernel, {i['num_threads']} threads) "
                     f"{os.path.basename(i['filepath'])}" for i in blas) or "none found"
    maps = {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line and "/" in line}
    libblas = sorted(os.path.realpath(m) for m in maps if os.path.basename(m).startswith("libblas"))
    torch_blas = next((f for f in torch.__config__.show().replace(",", " ").split()
                       if f.startswith("BLAS_INFO=")), "BLAS_INFO=?")
    print(f"python: numpy {np.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__} "
          f"({torch_blas}, {torch.get_num_threads()} threads); BLAS loaded: {desc}; "
          f"libblas.so.3 -> {', '.join(libblas) or 'not loaded'}")
    if not any(i["internal_api"] == "openblas" for i in blas):
        print("warning: numpy does not run on OpenBLAS here: scikit-learn's figures are not comparable")
elif part == "letter":
    from sklearn.neural_network import MLPClassifier
    data = np.genfromtxt("test/data/letter.csv", delimiter=",", skip_header=1, dtype=str)
    x, labels = data[:, :-1].astype(np.float64), data[:, -1]
    classes, y = np.unique(labels, return_inverse=True)
    fold = np.loadtxt(f"{where}/letter_folds.txt", dtype=int)
    train, test = fold != 0, fold == 0
    xtr, xte = zscore(x[train], x[test])
    for run in range(1, runs + 1):
        # scikit-learn's defaults otherwise: relu, softmax, Nesterov momentum
        clf = MLPClassifier(hidden_layer_sizes=(32,), solver="sgd", learning_rate_init=0.01,
                            momentum=0.9, batch_size=200, max_iter=200, n_iter_no_change=10**9,
                            tol=0, random_state=run)
        with warnings.catch_warnings(), threadpool_limits(threads, user_api="blas"):
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            clf.fit(xtr, y[train])
            secs = time.perf_counter() - t0
        print(f"letter sklearn,{run},{secs},{clf.score(xte, y[test])}")
    for run in range(1, runs + 1):
        torch.manual_seed(run)
        net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                  torch.nn.Linear(32, len(classes)))
        secs = torch_fit(net, xtr, y[train].astype(np.int64), 200, 200, run, nesterov=True)
        print(f"letter torch,{run},{secs},{torch_accuracy(net, xte, y[test].astype(np.int64))}")
elif part == "mnist":
    def load(name):
        a = np.loadtxt(gzip.open(f"{where}/{name}"), delimiter=",", skiprows=1, dtype=np.float32)
        return a[:, :-1], a[:, -1].astype(np.int64)
    xtr, ytr = load("mnist_train.csv.gz")
    xte, yte = load("mnist_test.csv.gz")
    xtr, xte = zscore(xtr, xte)
    for run in range(1, runs + 1):
        torch.manual_seed(run)
        net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.Tanh(), torch.nn.Linear(128, 10))
        secs = torch_fit(net, xtr, ytr, 10, 128, run, nesterov=False)
        print(f"mnist torch,{run},{secs / 10},{torch_accuracy(net, xte, yte)}")
