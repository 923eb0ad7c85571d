// Breadth-first search over a 6x6 grid with std::queue.
#include <cstdio>
#include <queue>
int main() {
    const int N = 6;
    int dist[N][N];
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            dist[r][c] = -1;
    std::queue<int> q;
    dist[0][0] = 0;
    q.push(0);
    int dr[4] = {1, -1, 0, 0}, dc[4] = {0, 0, 1, -1};
    while (!q.empty()) {
        int cell = q.front();
        q.pop();
        int r = cell / N, c = cell % N;
        for (int k = 0; k < 4; k++) {
            int nr = r + dr[k], nc = c + dc[k];
            if (nr < 0 || nr >= N || nc < 0 || nc >= N || dist[nr][nc] != -1)
                continue;
            dist[nr][nc] = dist[r][c] + 1;
            q.push(nr * N + nc);
        }
    }
    printf("%d\n", dist[N - 1][N - 1]);
    return 0;
}
