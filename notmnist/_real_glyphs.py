"""Statistics of real notMNIST glyphs, the stand-in's reference (generated: do not edit).

Written by `.venv/bin/python benchmarks/real_glyphs.py` from the sample named below, with the
definitions of [`notmnist.fidelity`][notmnist.fidelity]; the sample is never part of the package.
"""

FIGURES = {'sample': {'file': 'notMNIST_small_sample.tar.gz',
            'sha256': 'd95cb49e652e7a772c7884de186f418640dbf5ca7861cf2a8ef6b13ff811b348',
            'glyphs': 2000,
            'what': 'real notMNIST_small glyphs drawn at random, 200 per letter'},
 'glyphs': {'mean': -0.0731,
            'std': 0.459,
            'letter_mean_min': -0.1607,
            'letter_mean_max': 0.0604,
            'bbox_fills_box': 0.996,
            'median_bright_share': 0.4011,
            'mostly_bright': 0.31,
            'near_constant': 0.0155,
            'repeated_distinct': 0.002},
 'neighbours': {'nn_identical': 0.0139,
                'nn_near': 0.0139,
                'nn_q1': 42.7465,
                'nn_median': 59.2779,
                'nn_q3': 77.6965},
 'neighbour_protocol': {'queries': 360, 'references': 1440, 'seed': 0, 'threshold': 12.0}}
