"""Statistics of real notMNIST glyphs, the stand-in's reference (generated: do not edit).

Written by `.venv/bin/python benchmarks/real_glyphs.py` from the sample of real glyphs named
below; read by [`notmnist.fidelity`][notmnist.fidelity].  The sample itself is never part of the package.
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
 'definitions': {'mean': 'mean of all normalised pixels, (p - 127.5) / 255',
                 'std': 'standard deviation of all normalised pixels',
                 'letter_mean_min': 'lowest of the ten per-letter means of the normalised pixels',
                 'letter_mean_max': 'highest of the ten per-letter means of the normalised pixels',
                 'bbox_fills_box': 'share of images whose non-zero pixels reach all four borders',
                 'median_bright_share': 'median over images of the share of pixels brighter than '
                                        '127',
                 'mostly_bright': 'share of images with more than half of their pixels brighter '
                                  'than 127',
                 'near_constant': 'share of images that are near-constant '
                                  '(notmnist.pixels.near_constant)',
                 'repeated_distinct': 'share of distinct images that occur twice or more (grows '
                                      "with the sample's size)"},
 'neighbours': {'nn_identical': 0.0139,
                'nn_near': 0.0139,
                'nn_q1': 42.7465,
                'nn_median': 59.2779,
                'nn_q3': 77.6965},
 'neighbour_protocol': {'queries': 360,
                        'references': 1440,
                        'seed': 0,
                        'threshold': 12.0,
                        'distance': 'root-mean-square difference in grey levels to the nearest '
                                    'reference'}}
