# SPDX-License-Identifier: BSD-2-Clause
# scripts/: checks of the tree itself.  test-spdx: every source file
# carries its SPDX-License-Identifier line (scripts/check-spdx.sh).

.PHONY: test-spdx
test-spdx:
	@./scripts/check-spdx.sh

TESTS		+= test-spdx
