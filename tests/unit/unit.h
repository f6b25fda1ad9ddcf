/*
 * unit.h: the few helpers every core unit test uses: checks that print
 * where and what failed, and opening ports through the ABI.
 */
#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int unit_checks;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		exit(1);						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	unit_checks++;							\
	if (a_ != b_) {							\
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
		    __FILE__, __LINE__, #a, a_, #b, b_);		\
		exit(1);						\
	}								\
} while (0)

/* A call expected to fail with errno e. */
#define CHECK_ERR(call, e) do {						\
	errno = 0;							\
	unit_checks++;							\
	if ((call) != -1 || errno != (e)) {				\
		fprintf(stderr, "%s:%d: %s: errno %d (%s), expected %s\n", \
		    __FILE__, __LINE__, #call, errno, strerror(errno), #e); \
		exit(1);						\
	}								\
} while (0)

#define UNIT_DONE(name) do {						\
	printf("%s: %d checks passed\n", (name), unit_checks);		\
	return 0;							\
} while (0)

#endif /* UNIT_H */
