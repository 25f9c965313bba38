# Types for behave's step decorators (behave 1.3.3 ships none), so features/ is checked in strict mode.
# Only the decorators are typed; the rest of behave stays Any (see [tool.mypy] in pyproject.toml).
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

def given(step_text: str, **kwargs: Any) -> Callable[[_F], _F]: ...
def when(step_text: str, **kwargs: Any) -> Callable[[_F], _F]: ...
def then(step_text: str, **kwargs: Any) -> Callable[[_F], _F]: ...
def step(step_text: str, **kwargs: Any) -> Callable[[_F], _F]: ...

Given = given
When = when
Then = then
Step = step

def __getattr__(name: str) -> Any: ...
