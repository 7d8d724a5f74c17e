"""Time PyTorch + Zennit on VGG-16 features up to pool5 (batch 1, random weights), the baseline
of `neon bench cnn`: forward pass and one LRP explanation with the EpsilonGammaBox and
EpsilonPlusFlat composites, at 224 and 448 px. Median of REPEATS runs after one warm-up.

    pip install torch zennit
    python3 tools/bench_zennit.py [THREADS] [REPEATS]
"""
import statistics
import sys
import time

import torch
from torch import nn
from zennit.composites import EpsilonGammaBox, EpsilonPlusFlat

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_features():
    layers, c = [], 3
    for v in CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    return nn.Sequential(*layers).eval()


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = vgg16_features()
    print(f"torch {torch.__version__}, {threads} threads, median of {repeats}")
    for size in (224, 448):
        x = torch.rand(1, 3, size, size) * 2 - 1

        def forward():
            with torch.no_grad():
                net(x)

        print(f"{size}: forward {median_time(forward, repeats):.3f}s")
        for name, composite in (
            ("epsilon-gamma-box", EpsilonGammaBox(low=-3.0, high=3.0)),
            ("epsilon-plus-flat", EpsilonPlusFlat()),
        ):
            def explain():
                inp = x.clone().requires_grad_(True)
                with composite.context(net) as modified:
                    out = modified(inp)
                    (grad,) = torch.autograd.grad(out, inp, out)
                return inp * grad

            print(f"{size}: {name} explanation {median_time(explain, repeats):.3f}s")


if __name__ == "__main__":
    main()
