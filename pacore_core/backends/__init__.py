"""Model backends: OpenAI-compatible HTTP (vLLM serve), in-process vLLM, replay."""

from pacore_core.backends.base import Backend, BackendError, ChatMessage, SampleRequest, Trajectory

__all__ = ["Backend", "BackendError", "ChatMessage", "SampleRequest", "Trajectory"]
