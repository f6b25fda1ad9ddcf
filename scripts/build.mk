# SPDX-License-Identifier: BSD-2-Clause
# scripts/: checks of the tree itself.  test-spdx: every source file
# carries its SPDX-License-Identifier line (scripts/check-spdx.sh).
# test-style: no line of C over 80 columns (scripts/check-style.sh).

.PHONY: test-spdx test-style
test-spdx:
	@./scripts/check-spdx.sh

test-style:
	@./scripts/check-style.sh

TESTS		+= test-spdx test-style
