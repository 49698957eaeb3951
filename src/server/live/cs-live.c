/* cs-live.c: (being written) */
