/* cs-live-client.c: being written */
