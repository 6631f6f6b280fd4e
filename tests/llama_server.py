"""`python -m tests.llama_server ARGS`: llama-cpp-python's own OpenAI-compatible server, started for the tests with
llama.cpp's extra weight buffers turned off.

On CPUs with AMX, llama.cpp repacks the model's weights into "extra buffer types"; the build that
llama-cpp-python 0.3.36 makes from source then dies with SIGSEGV on the first completion (seen on a 2-core
machine with AMX_INT8; machines without AMX were unaffected). Loading the weights as they are costs a little speed
and changes nothing the tests look at: the server, its wire format and its errors are the real ones.
"""

from __future__ import annotations

import runpy

import llama_cpp.llama_cpp as native

_defaults = native.llama_model_default_params


def _without_extra_buffers() -> native.llama_model_params:
    params = _defaults()
    params.use_extra_bufts = False
    return params


native.llama_model_default_params = _without_extra_buffers  # llama.py reads it from the module when it loads

if __name__ == "__main__":
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
