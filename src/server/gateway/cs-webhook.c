/* cs-webhook.c: (being written) */
