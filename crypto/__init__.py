"""Carnet's encryption protocol, version 1: the reference implementation.

This package knows no server: it imports neither ``sync`` nor ``webapp``.
"""
