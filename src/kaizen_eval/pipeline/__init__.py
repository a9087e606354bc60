"""Orchestration over the public API: analysis plans, the plan runner and the demo."""

from kaizen_eval.pipeline.plan import Plan, PlanError, load_plan, parse_plan

__all__ = ["Plan", "PlanError", "load_plan", "parse_plan"]
