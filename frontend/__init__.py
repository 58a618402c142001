"""The OVERFIT tab's ES modules and stylesheet, shipped as package data."""
