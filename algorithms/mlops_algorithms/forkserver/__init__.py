"""A warm fork server for the local backend's Python processes (decision 0024).

Why: importing scikit-learn, scipy and pandas costs ~1.4 s of CPU per process on a small machine,
and a training run starts a dozen Python processes (pre-processing, trainings, baselines, batch
transforms, model servers), each paying it again on 2 shared CPUs. The server imports those
libraries once; each process is then a fork of it that runs the same ``-m module`` or script, with
the same argv, environment, working directory and standard streams it would have had when started
as ``python ...``: the SageMaker container contract (channels, ``/opt/ml``, exit code, failure
file, ``/ping`` and ``/invocations``) is the entry point's business and does not change.

``launch.py`` is what the local backend runs in place of ``python``: it asks the server (over a
Unix socket in a private directory) and, whenever the server is absent or the request is one a
fork cannot serve exactly (another interpreter, interpreter options, a different thread or hash
setting), it ``exec``s the real interpreter: the fallback is today's behaviour.
"""
