"""Public contract-test suites for backend authors (imported by tests and plug-ins only).

Subclass a contract in a test module and provide its fixture; every test of the contract
then runs against your backend, exactly as loopml runs them against its own.
"""
