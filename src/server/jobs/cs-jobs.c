/* cs-jobs.c: (being written) */
