/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testhost.h: helpers the unit tests get from the in-process host.
 */
#ifndef TESTHOST_H
#define TESTHOST_H

/* Netmap descriptors currently open (to check that tests close all). */
int th_open_count(void);

#endif /* TESTHOST_H */
