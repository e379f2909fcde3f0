// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Four busy Java threads with a deterministic result, for the preload's real-program test.
public class Workers {
	public static void main(String[] args) throws Exception {
		long millis = Long.parseLong(args[0]);
		Thread[] threads = new Thread[4];
		long[] sums = new long[4];
		for (int i = 0; i < 4; i++) {
			final int id = i;
			threads[i] = new Thread(() -> {
				long end = System.currentTimeMillis() + millis, x = id;
				while (System.currentTimeMillis() < end)
					for (int j = 0; j < 100000; j++)
						x = x * 6364136223846793005L + 1442695040888963407L;
				sums[id] = id;
			});
			threads[i].start();
		}
		for (Thread t : threads)
			t.join();
		System.out.println("sum " + (sums[0] + sums[1] + sums[2] + sums[3]));
	}
}
