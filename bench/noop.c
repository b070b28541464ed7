/* noop — the fork+exec floor for bench/request-latency. */
int main(void);

int
main(void)
{
	return 0;
}
