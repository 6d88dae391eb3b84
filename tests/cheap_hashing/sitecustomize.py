"""For the tests only: every process a test run starts finds this module first on its path
(``PYTHONPATH``, set in ``tests/conftest.py``), and so does the test run itself.

The central service keeps passwords as argon2id hashes at RFC 9106's settings: 64 MiB and
three passes, a tenth of a second or more for each account made and each sign-in. The tests
make and sign in hundreds of accounts, so here the hashes are made at the lowest cost the
library allows. Everything else about them is as in a release; a test starts a process
without this module and checks that a release hashes at full strength."""

import argon2


class _LowestCost(argon2.PasswordHasher):
    def __init__(self, time_cost: int = 1, memory_cost: int = 8, parallelism: int = 1,
                 **settings):
        super().__init__(time_cost=time_cost, memory_cost=memory_cost,
                         parallelism=parallelism, **settings)


argon2.PasswordHasher = _LowestCost
