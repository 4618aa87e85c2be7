"""The eval suite: question sets, metrics, runners, reports and the gate.

Import it as a package (`from eval import metrics`), never as `import eval`.
"""
